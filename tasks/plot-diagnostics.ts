/**
 * Task `plot-diagnostics`: the paper's four-panel learning diagnostics (SPEC §2) for every
 * upstream step that wrote `metrics.jsonl` (`{ "iter", "d_t", "r_t", … }` per line). The
 * correlations are computed in the worker pool. Output per input: `diagnostics-<step>.svg/.png`
 * (`diagnostics.svg/.png` when there is one input); metrics `<step>.d_lag1_autocorr`,
 * `<step>.r_lag1_autocorr`, `<step>.cross_lag0`, `<step>.iterations`.
 *
 * @example
 * ```yaml
 * steps:
 *   diagnostics: { task: plot-diagnostics, needs: [train] }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { computeCorrelations, diagnosticsFigure } from "../lib/plot/diagnostics.ts";
import { METRICS_LOG_FILE, readTrainingSeries } from "../lib/artifacts/metrics_log.ts";
import { writeFigure } from "../lib/plot/render.ts";

export default defineTask({
  name: "plot-diagnostics",
  description: "Plots d_t, r_t and their cross/auto-correlations (the paper's diagnostics figure) for each upstream training run.",
  usesSeed: false,
  config: z.object({
    /** Most recent iterations used for the correlations (the paper: 2000). */
    window: z.number().int().min(2).default(2000),
    /** Largest lag of the correlation panels (the paper: 15). */
    max_lag: z.number().int().min(1).default(15),
    /** PNG pixels per SVG pixel. */
    png_scale: z.number().positive().default(2),
  }),
  async run(ctx) {
    const sources = ctx.inputsWith(METRICS_LOG_FILE).map((input) => ({ input, path: join(input.dir, METRICS_LOG_FILE) }));
    if (sources.length === 0) {
      throw new Error(`Cannot plot diagnostics: no upstream step wrote metrics.jsonl (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    }
    const metrics: Record<string, number> = {};
    for (const [k, { input, path }] of sources.entries()) {
      ctx.progress.update(k, sources.length, "figure");
      const series = await readTrainingSeries(path);
      const correlations = await computeCorrelations(series.d, series.r, ctx.pool, { window: ctx.config.window, maxLag: ctx.config.max_lag });
      const figure = diagnosticsFigure({ d: series.d, r: series.r, iterations: series.iterations, correlations, title: `${input.id}: learning diagnostics` });
      const name = sources.length === 1 ? "diagnostics" : `diagnostics-${input.id}`;
      await writeFigure(ctx.outDir, name, figure, { scale: ctx.config.png_scale });
      metrics[`${input.id}.iterations`] = series.d.length;
      metrics[`${input.id}.d_lag1_autocorr`] = correlations.dAuto[1] ?? NaN;
      metrics[`${input.id}.r_lag1_autocorr`] = correlations.rAuto[1] ?? NaN;
      metrics[`${input.id}.cross_lag0`] = correlations.cross[(correlations.lags.length - 1) / 2];
      ctx.log.info(`${name}.png: ${series.d.length} iterations, lag-1 autocorrelation of d_t ${metrics[`${input.id}.d_lag1_autocorr`].toFixed(3)}`);
    }
    ctx.progress.update(sources.length, sources.length, "figure");
    await ctx.writeMetrics(metrics);
  },
});
