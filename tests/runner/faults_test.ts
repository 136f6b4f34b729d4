/**
 * Faults around a run (issue 20): every pipeline-file error exits 2 naming the file (alias bomb,
 * invalid UTF-8 with its byte offset, a file too large — also for config files), a lock file that
 * cannot be written is reported as such (exit 1, no stack trace), and `--restart` drops a failed
 * step's saved state where a plain re-run resumes from it (the failure message says how, and
 * where the failed step's log with the stack trace was kept).
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { invalidUtf8Offset } from "../../lib/runner/yaml_source.ts";
import { countTask, makeProject, runCli, writeFiles } from "./rig.ts";

const taskContractUrl = new URL("../../lib/task.ts", import.meta.url).href;

/** A task that counts its attempts in its resume directory and fails while `<root>/fail` exists. */
const resumableTask = `import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "${taskContractUrl}";
export default defineTask({
  name: "resumable", description: "counts attempts in its saved state", usesSeed: false,
  config: z.object({}),
  async run(ctx) {
    const state = join(ctx.resumeDir, "attempts.txt");
    const attempts = Number(await Deno.readTextFile(state).catch(() => "0")) + 1;
    await Deno.writeTextFile(state, String(attempts));
    if (await Deno.stat(join(ctx.resumeDir, "..", "..", "..", "fail")).then(() => true, () => false)) throw new Error("diverged at attempt " + attempts);
    await Deno.writeTextFile(join(ctx.outDir, "attempts.txt"), String(attempts));
  },
});
`;

const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
steps:
  a: { task: count, config: { label: a } }
`;

Deno.test("pipeline and config files: alias bombs, invalid UTF-8 and oversized files exit 2 naming the file", async () => {
  const utf8 = new TextEncoder().encode("steps:\n  a: { task: count, config: { label: ab } }\n");
  const bad = new Uint8Array([...utf8.subarray(0, 40), 0xff, ...utf8.subarray(40)]);
  const root = await makeProject({
    "tasks/count.ts": countTask("count"),
    "pipelines/bomb.yaml": bomb,
    "pipelines/big.yaml": "steps:\n  a: { task: count, config: { label: a } }\n" + "#".repeat(80) + "\n".repeat(1) + ("# padding\n").repeat(120_000),
    "pipelines/conf.yaml": "steps:\n  a: { task: count, config: configs/bad.yaml }\n",
  });
  try {
    await Deno.writeFile(join(root, "pipelines/latin1.yaml"), bad);
    await Deno.mkdir(join(root, "configs"));
    await Deno.writeFile(join(root, "configs/bad.yaml"), new Uint8Array([0x6c, 0x61, 0x62, 0x65, 0x6c, 0x3a, 0x20, 0xe9, 0x0a]));
    const cases: [string, RegExp][] = [
      ["bomb", /^error: Cannot parse pipelines\/bomb\.yaml: its aliases expand too far/],
      ["latin1", /^error: Cannot read pipelines\/latin1\.yaml: invalid UTF-8 at byte 40 \(line 2, byte 34 of the line: ff /],
      ["big", /^error: Cannot read pipelines\/big\.yaml: the file has \d+ bytes; pipeline and config files may have at most 1048576 \(1 MiB\)/],
      ["conf", /^error: Cannot read configs\/bad\.yaml: invalid UTF-8 at byte 7 \(line 1, byte 8 of the line: e9 0a\)/],
    ];
    for (const [name, expected] of cases) {
      for (const command of ["pipeline", "status"]) {
        const r = await runCli(root, [command, name]);
        assertEquals(r.code, 2, `${command} ${name}: ${r.stderr}`);
        assert(expected.test(r.stderr), `${command} ${name}: ${r.stderr}`);
        assert(!r.stderr.includes("    at "), `no stack trace: ${r.stderr}`);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("invalidUtf8Offset finds the first bad sequence (overlong, surrogate, truncated) and accepts valid text", () => {
  const enc = new TextEncoder();
  assertEquals(invalidUtf8Offset(enc.encode("héllo → 𝔸")), -1);
  assertEquals(invalidUtf8Offset(new Uint8Array([0x61, 0xc0, 0x80])), 1, "overlong 2-byte form");
  assertEquals(invalidUtf8Offset(new Uint8Array([0x61, 0x62, 0xed, 0xa0, 0x80])), 2, "UTF-16 surrogate");
  assertEquals(invalidUtf8Offset(new Uint8Array([0x61, 0xe2, 0x86])), 1, "truncated at the end");
  assertEquals(invalidUtf8Offset(new Uint8Array([0xf4, 0x90, 0x80, 0x80])), 0, "above U+10FFFF");
});

Deno.test("a lock file that cannot be written: exit 1, says so, no stack trace", async () => {
  const root = await makeProject({ "tasks/count.ts": countTask("count"), "pipelines/p.yaml": "steps:\n  a: { task: count, config: { label: a } }\n" });
  try {
    // A non-empty directory where the lock file goes: the atomic rename onto it fails.
    await writeFiles(root, { "outputs/p/pipeline.lock.json/blocker": "" });
    const r = await runCli(root, ["pipeline", "p"]);
    assertEquals(r.code, 1, r.stdout + r.stderr);
    assert(/^error: Cannot write outputs\/p\/pipeline\.lock\.json: .+; the steps' outputs are stored, but this run is not recorded/m.test(r.stderr), r.stderr);
    assert(!r.stderr.includes("    at "), `no stack trace: ${r.stderr}`);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("a failed step's saved state: a plain re-run resumes from it, --restart=<step> drops it; the failure says so", async () => {
  const root = await makeProject({ "tasks/resumable.ts": resumableTask, "pipelines/p.yaml": "steps:\n  long: { task: resumable }\n", "fail": "" });
  try {
    const first = await runCli(root, ["pipeline", "p"]);
    assertEquals(first.code, 1);
    assert(/diverged at attempt 1 \(its saved state in outputs\/\.cache\/resume-[0-9a-f]{64} stays and the next run resumes from it; --restart=long drops it and starts over\)/.test(first.stdout), first.stdout);
    // The step's log, with the error's stack trace, outlives the step's temporary directory.
    const logPath = first.stdout.match(/step log with the stack trace: (outputs\/\.cache\/resume-[0-9a-f]{64}\/failed-step\.log)/)?.[1];
    assert(logPath, first.stdout);
    const log = await Deno.readTextFile(join(root, logPath));
    assert(log.includes("Error: diverged at attempt 1") && /\n\s+at .*resumable\.ts/.test(log), log);
    const lock = JSON.parse(await Deno.readTextFile(join(root, "outputs/p/pipeline.lock.json")));
    assertEquals(lock.steps.long.failure.kind, "task");
    assert(lock.steps.long.failure.message.includes("--restart=long"), lock.steps.long.failure.message);
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 1, "still failing; resumed (attempt 2)");
    await Deno.remove(join(root, "fail"));
    const restarted = await runCli(root, ["pipeline", "p", "--restart=long"]);
    assertEquals(restarted.code, 0, restarted.stdout + restarted.stderr);
    assert(restarted.stdout.includes("long: restarted (saved state dropped)"), restarted.stdout);
    assertEquals(await Deno.readTextFile(join(root, "outputs/p/long/attempts.txt")), "1", "started over: a resumed run would count 3");
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
