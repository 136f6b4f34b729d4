/**
 * Task `plot-aggregate`: the sweep figure of an `aggregate` step (`lib/plot/aggregate.ts`):
 * per metric, each step's runs and their mean ± sd. Output: `aggregate.svg/.png`.
 *
 * @example
 * ```yaml
 * steps:
 *   sweep-figure: { task: plot-aggregate, needs: [aggregate], config: { metrics: [kl_true_ebm] } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { readAggregate } from "../lib/sweep/aggregate.ts";
import { aggregateFigure } from "../lib/plot/aggregate.ts";
import { writeFigure } from "../lib/plot/render.ts";

export default defineTask({
  name: "plot-aggregate",
  description: "Draws mean ± sd across runs (e.g. seeds) of chosen metrics per step, every run as a dot.",
  usesSeed: false,
  config: z.object({
    metrics: z.array(z.string()).min(1).default(["kl_true_ebm", "kl_true_kde"]),
    title: z.string().nullable().default(null),
    png_scale: z.number().positive().default(2),
  }),
  async run(ctx) {
    const input = ctx.input("aggregate");
    const aggregate = await readAggregate(join(input.dir, "aggregate.json"));
    const figure = aggregateFigure(aggregate, ctx.config.metrics, { title: ctx.config.title ?? undefined });
    const files = await writeFigure(ctx.outDir, "aggregate", figure, { scale: ctx.config.png_scale });
    ctx.log.info(`wrote ${files.join(", ")}`);
    await ctx.writeMetrics({ figures: 1, metrics_drawn: ctx.config.metrics.length });
  },
});
