/** The shipped demo pipeline, end to end through the CLI on a scratch copy of the project layout. */
import { join } from "node:path";
import { assert, assertClose, assertEquals } from "../assert.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { repoRoot, runCli } from "./rig.ts";

Deno.test("demo pipeline: generate → stats (worker pool) → summary → report, then a no-op re-run", async () => {
  const root = await Deno.makeTempDir({ prefix: "runner-demo-" });
  try {
    for (const dir of ["tasks", "lib", "configs", "pipelines"]) await Deno.symlink(join(repoRoot, dir), join(root, dir));
    const first = await runCli(root, ["pipeline", "demo", "--profile", "quick", "--json"]);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(JSON.parse(first.stdout).steps.map((s: { status: string }) => s.status), ["ran", "ran", "ran", "ran"]);

    const { tensors } = await readSafetensors(join(root, "outputs/demo/generate/points.safetensors"));
    assertEquals(tensors.x.shape, [500, 2], "the quick profile's point count");
    const x = tensors.x.data as Float32Array;
    let sx = 0, sy = 0;
    for (let i = 0; i < 500; i++) sx += x[2 * i], sy += x[2 * i + 1];
    const stats = JSON.parse(await Deno.readTextFile(join(root, "outputs/demo/stats/stats.json")));
    assertEquals(stats.count, 500);
    assertClose(stats.mean, [sx / 500, sy / 500], 1e-9, "pooled chunk means equal the direct mean");
    assert(stats.cov[0][0] > 5 && stats.cov[0][0] < 11, `variance of a radius-4 ring mixture, got ${stats.cov[0][0]}`);
    const summary = await Deno.readTextFile(join(root, "outputs/demo/summary/summary.md"));
    assert(summary.includes("## stats (demo-stats)") && summary.includes("| count | 500 |"), summary);
    const report = await Deno.readTextFile(join(root, "outputs/demo/report.html"));
    for (const id of ["generate", "stats", "summary"]) assert(report.includes(id), `the report lists step ${id}`);
    assert(report.includes("pipeline.lock.json"), "the report is rebuilt from the final lock file");
    assert(report.includes("<title>Demo pipeline report</title>"), "the page after the run keeps the report step's configured title");
    assert(!report.includes("Run report: demo"), "not the generic title");

    const again = await runCli(root, ["pipeline", "demo", "--profile", "quick"]);
    assertEquals(again.code, 0, again.stderr);
    assert(again.stdout.includes("0 ran, 4 cached"), again.stdout);
    assert(again.stdout.includes("count=500"), `a cache hit prints the step's metrics: ${again.stdout}`);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
