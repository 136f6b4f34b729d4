// Aggregating a sweep: statistics, relations per run, the file, the task and its figure.
import { join } from "node:path";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { aggregateRuns, describe, readAggregate, type SweepRun, writeAggregate } from "../../lib/sweep/aggregate.ts";
import { aggregateFigure } from "../../lib/plot/aggregate.ts";
import aggregateTask from "../../tasks/aggregate.ts";
import plotAggregate from "../../tasks/plot-aggregate.ts";
import { makeTestContext } from "../task_context.ts";

const run = (group: string, seed: number, metrics: Record<string, unknown>): SweepRun => ({ id: `${group}__seed-${seed}`, group, matrix: { seed }, metrics });
const runs = [
  run("conv", 1, { kl: 0.2, kde: 0.5, backend: "native" }),
  run("conv", 2, { kl: 0.4, kde: 0.3, backend: "native" }),
  run("conv", 3, { kl: 0.3, kde: 0.4, backend: "native" }),
  run("nonconv", 1, { kl: 20, kde: 0.1 }),
  run("nonconv", 2, { kl: 0.35, kde: 0.2 }),
  run("nonconv", 3, { kl: 40, kde: 0.3 }),
];

Deno.test("describe: mean, sample sd (n−1), min, max; a single run has no sd", () => {
  const s = describe([2, 4, 4, 4, 5, 5, 7, 9]);
  assertEquals([s.n, s.mean, s.min, s.max], [8, 5, 2, 9]);
  assert(Math.abs(s.sd! - Math.sqrt(32 / 7)) < 1e-12, String(s.sd));
  assertEquals(describe([3]).sd, null);
});

Deno.test("aggregateRuns: numeric metrics per group; relations paired by matrix values, failures named", () => {
  const a = aggregateRuns(runs, [{ left: "conv.kl", op: "<", right: "nonconv.kl" }, { left: "nonconv.kde", op: "<", right: "nonconv.kl" }]);
  assertEquals(Object.keys(a.groups.conv.metrics), ["kl", "kde"]);
  assert(Math.abs(a.groups.conv.metrics.kl.mean - 0.3) < 1e-12);
  assert(Math.abs(a.groups.conv.metrics.kl.sd! - 0.1) < 1e-12);
  assertEquals([a.relations[0].held, a.relations[0].total], [2, 3]);
  assertEquals(a.relations[0].failed, [{ matrix: { seed: 2 }, left: 0.4, right: 0.35 }]);
  assertEquals([a.relations[1].held, a.relations[1].total], [3, 3]);
});

Deno.test("aggregateRuns: a relation naming a missing step or metric, or unpaired runs, is an error", async () => {
  await assertThrowsAsync(async () => aggregateRuns(runs, [{ left: "conv.kl", op: "<", right: "other.kl" }]), "right step 'other' is not an input");
  await assertThrowsAsync(async () => aggregateRuns(runs, [{ left: "conv.nope", op: "<", right: "nonconv.kl" }]), "has no numeric metric 'nope'");
  const other = [run("x", 1, { kl: 1 }), { ...run("y", 2, { kl: 2 }) }];
  await assertThrowsAsync(async () => aggregateRuns(other, [{ left: "x.kl", op: "<", right: "y.kl" }]), "share no matrix values");
});

Deno.test("aggregate.json round-trips; a broken file names the field", async () => {
  const dir = await Deno.makeTempDir();
  const a = aggregateRuns(runs, []);
  await writeAggregate(join(dir, "a.json"), a);
  assertEquals(await readAggregate(join(dir, "a.json")), a);
  await Deno.writeTextFile(join(dir, "b.json"), JSON.stringify({ ...a, groups: { conv: { runs: [], metrics: { kl: { n: 0 } } } } }));
  await assertThrowsAsync(() => readAggregate(join(dir, "b.json")), "field 'groups.conv.metrics.kl.n'");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tasks aggregate → plot-aggregate: grouped by matrix step, table, metrics, a figure with error bars", async () => {
  const up = await Deno.makeTempDir();
  const inputs = [];
  for (const r of runs) {
    const dir = join(up, r.id);
    await Deno.mkdir(dir);
    await Deno.writeTextFile(join(dir, "metrics.json"), JSON.stringify(r.metrics));
    inputs.push({ id: r.id, task: "train-toy", dir, group: r.group, matrix: r.matrix });
  }
  const t = await makeTestContext(aggregateTask.config.parse({ relations: [{ left: "conv.kl", op: "<", right: "nonconv.kl" }], table_metrics: ["kl", "kde"] }), { inputs });
  try {
    await aggregateTask.run(t.ctx);
    assert(Math.abs((t.metrics?.["conv.kl.mean"] as number) - 0.3) < 1e-12, "conv.kl.mean");
    assertEquals([t.metrics?.relations_held, t.metrics?.relations_total], [2, 3]);
    assert(t.logs.some((l) => l.includes("holds in 2 of 3 runs") && l.includes('{"seed":2}')), t.logs.join("\n"));
    const table = await Deno.readTextFile(join(t.ctx.outDir, "aggregate.md"));
    assert(table.includes("| conv | 0.300 ± 0.100 (3) |"), table);
    const p = await makeTestContext(plotAggregate.config.parse({ metrics: ["kl", "kde"] }), { inputs: [{ id: "aggregate", task: "aggregate", dir: t.ctx.outDir }] });
    try {
      await plotAggregate.run(p.ctx);
      const svg = await Deno.readTextFile(join(p.ctx.outDir, "aggregate.svg"));
      assert(svg.includes("kl: mean ± sd over 3 runs"), "panel title");
      assert((await Deno.stat(join(p.ctx.outDir, "aggregate.png"))).size > 1000, "png");
    } finally {
      await p.dispose();
    }
  } finally {
    await t.dispose();
    await Deno.remove(up, { recursive: true });
  }
});

Deno.test("aggregateFigure: log axis when a metric spans decades; unknown metrics are an error", () => {
  const a = aggregateRuns(runs, []);
  const f = aggregateFigure(a, ["kl"]);
  assert(f.svg.includes("<svg"), "svg");
  let message = "";
  try {
    aggregateFigure(a, ["nope"]);
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, "Cannot draw the sweep figure: no step has any of the metrics nope");
});
