/**
 * Safety of the runner under SIGKILL and concurrent runs (real CLI subprocesses): a second run of
 * a pipeline is refused naming the holder pid; killing the runner mid-step kills the step's
 * process too, leaves nothing fresh, and the next run recovers the lock and re-executes the step.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { cliCommand, countTask, counts, makeProject, runCli, waitFor } from "./rig.ts";

Deno.test("SIGKILL mid-step leaves nothing fresh; a concurrent run is refused; the stale lock is recovered", async () => {
  const root = await makeProject({
    "pipelines/p.yaml": "steps:\n  slow: { task: count, config: { label: slow } }\n  next: { task: count, needs: [slow], config: { label: next } }\n",
    "tasks/count.ts": countTask("count"),
    "hold-slow": "",
  });
  const heartbeat = join(root, "heartbeat-slow.log");
  const size = async () => (await Deno.stat(heartbeat).catch(() => ({ size: 0 }))).size;
  try {
    const first = cliCommand(root, ["pipeline", "p"]).spawn();
    await waitFor(async () => (await size()) > 0, 20_000, "the slow step to start");

    const second = await runCli(root, ["pipeline", "p"]);
    assertEquals(second.code, 2, `a concurrent run must be refused (stdout: ${second.stdout})`);
    assert(second.stderr.includes(`pid ${first.pid}`), `message names the holder pid ${first.pid}: ${second.stderr}`);

    first.kill("SIGKILL");
    const status = await first.status;
    assertEquals(status.signal, "SIGKILL");
    await first.stdout.cancel();
    await first.stderr.cancel();
    // The step process must notice its parent is gone and stop writing.
    await new Promise((r) => setTimeout(r, 500));
    const afterKill = await size();
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(await size(), afterKill, "no orphan step process keeps running after the runner was killed");

    const store = join(root, "outputs/.cache");
    const entries = [...Deno.readDirSync(store)].map((e) => e.name);
    assert(entries.every((n) => n.startsWith("tmp-") || n.startsWith("resume-") || n.startsWith("claim-") || n.endsWith(".json")), `only temporary dirs in the store: ${entries}`);
    assert(entries.some((n) => n.startsWith("claim-")), "the killed run's claim on the step is left behind");
    assert(entries.some((n) => n.startsWith("tmp-")), "the killed step's partial output is still in its temporary dir");
    assert(!(await Deno.lstat(join(root, "outputs/p/slow")).then(() => true, () => false)), "no link to a partial output");

    const stale = await runCli(root, ["status", "p"]);
    assertEquals(stale.code, 1, stale.stderr);

    await Deno.remove(join(root, "hold-slow"));
    const rerun = await runCli(root, ["pipeline", "p"]);
    assertEquals(rerun.code, 0, `re-run (stderr: ${rerun.stderr})`);
    assert(rerun.stdout.includes(`Recovered a stale lock`) && rerun.stdout.includes(`pid ${first.pid}`), rerun.stdout);
    assert(rerun.stdout.includes(`took over the claim of process ${first.pid} on `), rerun.stdout);
    assertEquals(await counts(root), { next: 1, slow: 2 });
    const files = [...Deno.readDirSync(join(root, "outputs/p/slow"))].map((e) => e.name).sort();
    assertEquals(files, ["manifest.json", "metrics.json", "out.txt", "step.log"], "the re-executed output has no partial file");

    const clean = await runCli(root, ["clean", "--json"]);
    assertEquals(clean.code, 0, clean.stderr);
    assert(JSON.parse(clean.stdout).removed.some((n: string) => n.startsWith("tmp-")), "clean removes the dead run's temporary dir");
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
