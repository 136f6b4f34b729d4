/**
 * Claims (issue 20): two pipelines that need the same step at the same time run it once — the
 * second waits and uses the first one's entry; a claim whose owner died (same host: pid gone;
 * another host: heartbeat unchanged) is taken over; clean removes what dead claims leave.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { hostTag } from "../../lib/runner/store.ts";
import { claimEntry } from "../../lib/runner/claim.ts";
import { cliCommand, countTask, counts, makeProject, repoRoot, runCli, waitFor } from "./rig.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
const shared = "steps:\n  slow: { task: count, config: { label: slow } }\n";

async function fingerprintOf(root: string, pipeline: string, step: string): Promise<string> {
  const doc = JSON.parse((await runCli(root, ["status", pipeline, "--json"])).stdout);
  return doc.steps.find((s: { id: string }) => s.id === step).fingerprint;
}

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("two pipelines needing the same step at once: it runs once, the second waits and uses the entry", async () => {
  const root = await makeProject({ "tasks/count.ts": countTask("count"), "pipelines/p.yaml": shared, "pipelines/q.yaml": shared, "hold-slow": "" });
  try {
    const first = cliCommand(root, ["pipeline", "p"]).spawn();
    await waitFor(() => exists(join(root, "heartbeat-slow.log")), 20_000, "the slow step to start");
    const status = await runCli(root, ["status", "q"]);
    assert(/stale\s+slow\s+never ran \(no cached output\); being produced now by process \d+ on \S+/.test(status.stdout), status.stdout);
    const second = cliCommand(root, ["pipeline", "q"]).spawn();
    await new Promise((r) => setTimeout(r, 1500));
    await Deno.remove(join(root, "hold-slow"));
    const [a, b] = await Promise.all([first.output(), second.output()]);
    const text = (o: Deno.CommandOutput) => new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
    assertEquals(a.code, 0, text(a));
    assertEquals(b.code, 0, text(b));
    assertEquals(await counts(root), { slow: 1 }, "the step ran once");
    assert(/slow: waiting: process \d+ on \S+ is producing the same output/.test(text(b)), text(b));
    assert(text(b).includes("slow cached") && text(b).includes("stored by another process meanwhile"), text(b));
    const left = [...Deno.readDirSync(join(root, "outputs/.cache"))].map((e) => e.name);
    assertEquals(left.filter((n) => n.startsWith("claim-") || n.startsWith("tmp-")), [], "claims are released");
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("a claim whose owner died is taken over: same host by pid, another host by an unchanged heartbeat", async () => {
  const root = await makeProject({ "tasks/count.ts": countTask("count"), "pipelines/p.yaml": shared, "pipelines/r.yaml": "steps:\n  other: { task: count, config: { label: other } }\n" });
  try {
    const fp = await fingerprintOf(root, "p", "slow");
    const pid = await deadPid();
    await Deno.mkdir(join(root, "outputs/.cache", `claim-${fp}`), { recursive: true });
    await Deno.writeTextFile(join(root, "outputs/.cache", `claim-${fp}`, "owner.json"), JSON.stringify({ host: hostTag(), pid, token: "deadbeef", beat: 3 }));
    const r = await runCli(root, ["pipeline", "p"]);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assert(r.stdout.includes(`took over the claim of process ${pid} on ${hostTag()}: process ${pid} is gone`), r.stdout);
    assert(await exists(join(root, "outputs/.cache", `claim-${fp}.dead-deadbeef`)), "the dead claim is kept as a tombstone");

    const fp2 = await fingerprintOf(root, "r", "other");
    await Deno.mkdir(join(root, "outputs/.cache", `claim-${fp2}`));
    await Deno.writeTextFile(join(root, "outputs/.cache", `claim-${fp2}`, "owner.json"), JSON.stringify({ host: "elsewhere", pid: 1, token: "feedf00d", beat: 7 }));
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", join(repoRoot, "deno.json"), join(repoRoot, "lib/runner/cli.ts"), "pipeline", "r", "--root", root],
      env: { EBM_CLAIM_STALE_MS: "600" },
      stdout: "piped",
      stderr: "piped",
    });
    const o = await cmd.output();
    const out = new TextDecoder().decode(o.stdout);
    assertEquals(o.code, 0, out + new TextDecoder().decode(o.stderr));
    assert(out.includes("other: waiting: process 1 on elsewhere is producing the same output"), out);
    assert(/took over the claim of process 1 on elsewhere: its heartbeat has not changed for \d+ s/.test(out), out);
    assertEquals(await counts(root), { other: 1, slow: 1 });

    const clean = await runCli(root, ["clean", "--dry-run"]);
    assert(clean.stdout.includes(`would remove claim-${fp}.dead-deadbeef (0.0 MB): claim of a run that died`), clean.stdout);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("claimEntry: creates a fresh store; a second claimer waits until the first releases", async () => {
  const root = await Deno.makeTempDir({ prefix: "claim-unit-" });
  try {
    const fp = "e".repeat(64);
    const first = await claimEntry(root, fp, {});
    const waited: string[] = [];
    let secondHeld = false;
    const second = claimEntry(root, fp, { onWait: (who) => waited.push(who), onBreak: (who, why) => waited.push(`broke ${who}: ${why}`) }).then((c) => (secondHeld = true, c));
    await new Promise((r) => setTimeout(r, 700));
    assertEquals(secondHeld, false, `the second claimer waits while the first holds the claim (${waited})`);
    assertEquals(waited, [`process ${Deno.pid} on ${hostTag()}`]);
    await first.release();
    await (await second).release();
    assertEquals([...Deno.readDirSync(join(root, "outputs/.cache"))].map((e) => e.name), []);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("processAlive tells live from gone under the runner's own permissions (not -A)", async () => {
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    const gone = await deadPid();
    const probe = `import { processAlive } from "${new URL("../../lib/runner/run_lock.ts", import.meta.url).href}";
console.log(JSON.stringify([processAlive(Deno.pid), processAlive(${sleeper.pid}), processAlive(${gone})]));`;
    const file = await Deno.makeTempFile({ suffix: ".ts" });
    await Deno.writeTextFile(file, probe);
    // The permissions of `deno task pipeline` (deno.json), which Deno 2 does not let read /proc/<pid>.
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-R", "-W", "-E", "-N", "--allow-ffi", "--allow-sys", "--allow-run", "--quiet", "--config", join(repoRoot, "deno.json"), file],
      stdout: "piped", stderr: "piped",
    }).output();
    await Deno.remove(file);
    assertEquals(o.code, 0, new TextDecoder().decode(o.stderr));
    assertEquals(JSON.parse(new TextDecoder().decode(o.stdout)), [true, true, false], "itself alive, a sleeping process alive, an exited one gone");
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
});
