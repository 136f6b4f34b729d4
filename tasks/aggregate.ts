/**
 * Task `aggregate`: the summary of a sweep. Its upstream steps are the variants of matrix steps
 * (fanned in: `needs: [gmm-convergent]` receives every `gmm-convergent__seed-…`), grouped by the
 * step they came from; every numeric metric of a group gets mean ± sd over its runs, and each
 * configured relation is checked run by run, pairing runs with equal matrix values (the same
 * seed). Outputs: `aggregate.json` (format in `lib/sweep/aggregate.ts`), `aggregate.md` (a table
 * of `table_metrics`), metrics `<step>.<metric>.mean/.sd` and `relations_held/_total`.
 *
 * @example
 * ```yaml
 * steps:
 *   aggregate:
 *     task: aggregate
 *     needs: [gmm-convergent, gmm-nonconvergent]
 *     config:
 *       relations: [{ left: gmm-convergent.kl_true_ebm, op: "<", right: gmm-nonconvergent.kl_true_ebm }]
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { readJson } from "../lib/util/fs.ts";
import { aggregateMetrics, aggregateRuns, aggregateTable, Relation, type SweepRun, writeAggregate } from "../lib/sweep/aggregate.ts";

export default defineTask({
  name: "aggregate",
  description: "Mean ± sd across the runs of each matrix step (e.g. seeds) of every summary metric, and relations checked run by run.",
  usesSeed: false,
  config: z.object({
    /** Relations between steps' metrics, checked for each matrix value (seed) separately. */
    relations: z.array(Relation).default([]),
    /** Metrics in `aggregate.md` and in this step's metrics (all numeric metrics are in aggregate.json). */
    table_metrics: z.array(z.string()).default(["kl_true_ebm", "kl_true_kde", "d_t_mean", "r_t_mean", "d_t_lag1_autocorr"]),
  }),
  async run(ctx) {
    if (ctx.inputs.length === 0) throw new Error("Cannot aggregate: the step has no upstream steps (list the matrix steps in 'needs')");
    const runs: SweepRun[] = [];
    for (const input of ctx.inputs) {
      const path = join(input.dir, "metrics.json");
      let metrics: Record<string, unknown>;
      try {
        metrics = await readJson<Record<string, unknown>>(path);
      } catch (e) {
        throw new Error(`Cannot aggregate: upstream step ${input.id} wrote no readable metrics.json (${(e as Error).message})`);
      }
      runs.push({ id: input.id, group: input.group ?? input.id, matrix: input.matrix ?? {}, metrics });
    }
    const aggregate = aggregateRuns(runs, ctx.config.relations);
    await writeAggregate(join(ctx.outDir, "aggregate.json"), aggregate);
    const table = aggregateTable(aggregate, ctx.config.table_metrics);
    await Deno.writeTextFile(join(ctx.outDir, "aggregate.md"), table);
    for (const [group, g] of Object.entries(aggregate.groups)) ctx.log.info(`${group}: ${g.runs.length} runs, ${Object.keys(g.metrics).length} metrics`);
    for (const r of aggregate.relations) {
      const line = `${r.left} ${r.op} ${r.right}: holds in ${r.held} of ${r.total} runs`;
      if (r.held < r.total) ctx.log.warn(`${line}; not for ${r.failed.map((f) => JSON.stringify(f.matrix)).join(", ")}`);
      else ctx.log.info(line);
    }
    await ctx.writeMetrics(aggregateMetrics(aggregate, ctx.config.table_metrics));
  },
});
