/**
 * End-to-end caching behaviour of the runner on a fake project (real CLI subprocesses):
 * unchanged → nothing runs; config change → that step and its downstream; lib edit → exactly
 * the importers (transitively) and their downstream; unrelated edit → nothing; external input
 * content; --force; failures with --keep-going; clean.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { countTask, counts, importCount, makeProject, ranBetween, runCli, writeFiles } from "./rig.ts";

const pipeline = `name: p
seed: 5
steps:
  a: { task: count-a, config: { label: a } }
  b: { task: count-b, needs: [a], config: [configs/b.yaml, { label: b }] }
  c: { task: count-a, needs: [b], config: { label: c } }
  d: { task: count-b, config: { label: d, external: data/ext.txt } }
`;

const failing = `steps:
  bad: { task: count-a, config: { label: bad, fail: true } }
  after: { task: count-a, needs: [bad], config: { label: after } }
  other: { task: count-b, config: { label: other } }
`;

function files(): Record<string, string> {
  return {
    "pipelines/p.yaml": pipeline,
    "pipelines/failing.yaml": failing,
    "configs/b.yaml": "value: 1\n",
    "tasks/count-a.ts": countTask("count-a", ["../lib/shared.ts"]),
    "tasks/count-b.ts": countTask("count-b", ["../lib/other.ts"]),
    "lib/shared.ts": 'export function tag(): string { return "shared1"; }\n',
    "lib/other.ts": 'import { deep } from "./deep.ts";\nexport function tag(): string { return "other" + deep(); }\n',
    "lib/deep.ts": 'export function deep(): string { return "1"; }\n',
    "lib/unrelated.ts": 'export const nothing = 1;\n',
    "data/ext.txt": "external v1\n",
    "README.md": "fake project\n",
  };
}

type JsonDoc = { pipeline: string; profile: string | null; steps: { id: string; task: string; status: string; fingerprint: string; reasons: string[]; seconds: number | null }[] };

function statusOf(doc: JsonDoc): Record<string, string> {
  return Object.fromEntries(doc.steps.map((s) => [s.id, s.status]));
}

function reasonsOf(doc: JsonDoc, id: string): string[] {
  return doc.steps.find((s) => s.id === id)!.reasons;
}

async function pipelineJson(root: string, ...extra: string[]): Promise<JsonDoc> {
  const r = await runCli(root, ["pipeline", "p", "--json", ...extra]);
  assertEquals(r.code, 0, `pipeline exit code (stderr: ${r.stderr})`);
  return JSON.parse(r.stdout);
}

async function statusJson(root: string, expectCode: number): Promise<JsonDoc> {
  const r = await runCli(root, ["status", "p", "--json"]);
  assertEquals(r.code, expectCode, `status exit code (stderr: ${r.stderr})`);
  return JSON.parse(r.stdout);
}

Deno.test("runner caches steps and re-runs exactly what is stale", async (t) => {
  const root = await makeProject(files());
  try {
    await t.step("first run runs every step; outputs, links and lock are in place", async () => {
      const doc = await pipelineJson(root);
      assertEquals(statusOf(doc), { a: "ran", b: "ran", c: "ran", d: "ran" });
      assertEquals(await counts(root), { a: 1, b: 1, c: 1, d: 1 });
      const out = await Deno.readTextFile(join(root, "outputs/p/c/out.txt"));
      assertEquals(out, "c:1:shared1:5[b:1:other1:5[a:1:shared1:5[]]]", "c reads b which reads a");
      const lock = JSON.parse(await Deno.readTextFile(join(root, "outputs/p/pipeline.lock.json")));
      assertEquals(lock.version, 2);
      assertEquals(lock.steps.b.status, "ran");
      assertEquals(lock.steps.b.metrics, { value: 1 });
      assertEquals(lock.steps.b.fields.upstream, { a: lock.steps.a.fingerprint });
      assert("lib/deep.ts" in lock.steps.b.fields.sources, "b's sources include lib/deep.ts (reached through lib/other.ts)");
      assert(!("lib/deep.ts" in lock.steps.a.fields.sources), "a's sources exclude lib/deep.ts");
      assertEquals(lock.steps.a.fields.npm.zod, "4.6.7");
      assertEquals(lock.steps.d.files, ["metrics.json", "out.txt", "step.log"]);
      const manifest = JSON.parse(await Deno.readTextFile(join(root, "outputs/p/a/manifest.json")));
      assertEquals(manifest.fingerprint, lock.steps.a.fingerprint);
    });

    await t.step("second run of the unchanged pipeline runs 0 steps", async () => {
      const before = await counts(root);
      const imports = await importCount(root);
      const doc = await pipelineJson(root);
      assertEquals(statusOf(doc), { a: "cached", b: "cached", c: "cached", d: "cached" });
      assertEquals(ranBetween(before, await counts(root)), []);
      assertEquals(await importCount(root), imports, "a no-op re-run plans from the task-info cache without importing tasks");
      const status = await statusJson(root, 0);
      assertEquals(statusOf(status), { a: "fresh", b: "fresh", c: "fresh", d: "fresh" });
    });

    await t.step("changing one config field re-runs that step and its downstream only", async () => {
      await writeFiles(root, { "configs/b.yaml": "value: 2\n" });
      const status = await statusJson(root, 1);
      assertEquals(statusOf(status), { a: "fresh", b: "stale", c: "stale", d: "fresh" });
      assertEquals(reasonsOf(status, "b"), ["config field value changed 1 → 2"]);
      assertEquals(reasonsOf(status, "c"), ["upstream b is stale"]);
      const before = await counts(root);
      const doc = await pipelineJson(root);
      assertEquals(ranBetween(before, await counts(root)), ["b", "c"]);
      assertEquals(reasonsOf(doc, "b"), ["config field value changed 1 → 2"]);
    });

    await t.step("editing a lib file re-runs exactly the tasks that import it (and their downstream)", async () => {
      await writeFiles(root, { "lib/deep.ts": 'export function deep(): string { return "2"; }\n' });
      const status = await statusJson(root, 1);
      assertEquals(statusOf(status), { a: "fresh", b: "stale", c: "stale", d: "stale" });
      assertEquals(reasonsOf(status, "b"), ["lib/deep.ts changed"]);
      assertEquals(reasonsOf(status, "d"), ["lib/deep.ts changed"]);
      assertEquals(reasonsOf(status, "c"), ["upstream b is stale"]);
      const before = await counts(root);
      await pipelineJson(root);
      assertEquals(ranBetween(before, await counts(root)), ["b", "c", "d"]);
      const after = await statusJson(root, 0);
      assertEquals(statusOf(after), { a: "fresh", b: "fresh", c: "fresh", d: "fresh" });
    });

    await t.step("editing unrelated files re-runs nothing", async () => {
      await writeFiles(root, { "lib/unrelated.ts": "export const nothing = 2;\n", "README.md": "changed\n" });
      await statusJson(root, 0);
      const before = await counts(root);
      await pipelineJson(root);
      assertEquals(ranBetween(before, await counts(root)), []);
    });

    await t.step("external inputs: touching keeps the step fresh, new content re-runs it", async () => {
      const ext = join(root, "data/ext.txt");
      await Deno.utime(ext, new Date(), new Date(Date.now() + 5000));
      await statusJson(root, 0);
      await writeFiles(root, { "data/ext.txt": "external v2\n" });
      const status = await statusJson(root, 1);
      assertEquals(statusOf(status), { a: "fresh", b: "fresh", c: "fresh", d: "stale" });
      assertEquals(reasonsOf(status, "d"), ["external input data/ext.txt changed"]);
      const before = await counts(root);
      await pipelineJson(root);
      assertEquals(ranBetween(before, await counts(root)), ["d"]);
    });

    await t.step("--force=a re-runs a only; --until b --dry-run lists a and b; --only c runs c alone", async () => {
      const before = await counts(root);
      const doc = await pipelineJson(root, "--force=a");
      assertEquals(ranBetween(before, await counts(root)), ["a"]);
      assertEquals(reasonsOf(doc, "a"), ["forced"]);
      const dry = await runCli(root, ["pipeline", "p", "--until", "b", "--dry-run", "--json"]);
      assertEquals(statusOf(JSON.parse(dry.stdout)), { a: "fresh", b: "fresh" });
      const beforeOnly = await counts(root);
      const only = await pipelineJson(root, "--only", "c", "--force=c");
      assertEquals(statusOf(only), { c: "ran" });
      assertEquals(ranBetween(beforeOnly, await counts(root)), ["c"]);
      const lock = JSON.parse(await Deno.readTextFile(join(root, "outputs/p/pipeline.lock.json")));
      assertEquals(Object.keys(lock.steps).sort(), ["a", "b", "c", "d"], "steps outside --only keep their lock entries");
    });

    await t.step("a failed step skips its downstream; --keep-going runs the rest; exit 1", async () => {
      const ok = await runCli(root, ["pipeline", "failing", "--until", "after", "--set", "bad.fail=false"]);
      assertEquals(ok.code, 0, ok.stderr);
      const isLink = (id: string) => Deno.lstat(join(root, "outputs/failing", id)).then((i) => i.isSymlink, () => false);
      assert((await isLink("bad")) && (await isLink("after")), "links exist after the successful run");
      const r = await runCli(root, ["pipeline", "failing", "--json", "--keep-going", "--jobs", "1"]);
      assertEquals(r.code, 1, `exit code (stderr: ${r.stderr})`);
      const doc = JSON.parse(r.stdout) as JsonDoc;
      assertEquals(statusOf(doc), { bad: "failed", after: "skipped", other: "ran" });
      const lock = JSON.parse(await Deno.readTextFile(join(root, "outputs/failing/pipeline.lock.json")));
      assertEquals(lock.steps.bad.failure.kind, "task", "the failure crosses the process boundary typed");
      assert(/^fake failure in bad \(step log with the stack trace: outputs\/\.cache\/resume-[0-9a-f]{64}\/failed-step\.log\)$/.test(lock.steps.bad.failure.message), lock.steps.bad.failure.message);
      assertEquals(lock.steps.after.status, "skipped");
      assertEquals(lock.steps.after.failure, { kind: "upstream", message: "upstream bad failed" });
      assert(!(await isLink("bad")) && !(await isLink("after")), "failed and skipped steps no longer link to an older output");
      const entries = [...Deno.readDirSync(join(root, "outputs/.cache"))].map((e) => e.name);
      assert(!entries.some((n) => n.startsWith("tmp-")), `no temporary directory left: ${entries}`);
      const stop = await runCli(root, ["pipeline", "failing", "--json", "--jobs", "1", "--force=other"]);
      assertEquals(stop.code, 1);
      const stopDoc = JSON.parse(stop.stdout) as JsonDoc & { steps: { error?: string; failureKind?: string }[] };
      assertEquals(statusOf(stopDoc), { bad: "failed", after: "skipped", other: "skipped" }, "without --keep-going nothing new starts");
      assert(String(stopDoc.steps[2].error).includes("step bad failed"), JSON.stringify(stopDoc.steps[2]));
      assertEquals(stopDoc.steps[2].failureKind, "stopped");
      const again = await runCli(root, ["status", "failing"]);
      assertEquals(again.code, 1);
      assert(again.stdout.includes("bad") && again.stdout.includes("no cached output"), again.stdout);
    });

    await t.step("clean drops entries no lock references and keeps the fresh ones", async () => {
      const r = await runCli(root, ["clean", "--json"]);
      assertEquals(r.code, 0, r.stderr);
      const removed = (JSON.parse(r.stdout).removed as string[]).filter((n) => /^[0-9a-f]{64}$/.test(n));
      // old b, c (config change), b, c, d (lib edit), d (external), and bad/after with fail=false
      assertEquals(removed.length, 8, `removed ${removed}`);
      await statusJson(root, 0);
    });
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
