/**
 * Task `plot-fce`: the figures of flow contrastive estimation from the upstream `train-fce` steps
 * (their `densities.safetensors` and `metrics.jsonl`, formats in `lib/artifacts/fce_files.ts`) and
 * `toy-2d` steps (`points.safetensors`): per training run `density-<step>.svg/.png` (data, flow
 * density, EBM density, as in the seed's figure; the data are the point set whose `dataset`
 * matches the run's), and `curves.svg/.png` (−V, accuracy, and `mse_logp` where recorded).
 *
 * @example
 * ```yaml
 * steps:
 *   figures: { task: plot-fce, needs: [data-8gaussians, fce-maf-8gaussians, fce-glow-8gaussians] }
 * ```
 * @module
 */
import { z } from "zod";
import { defineTask } from "../lib/task.ts";
import { POINT_SET_FILE, readPointSet } from "../lib/data/point_set_file.ts";
import { FCE_DENSITIES_FILE, FCE_METRICS_FILE, readFceDensities, readFceMetrics } from "../lib/artifacts/fce_files.ts";
import { fceCurvesFigure, fceDensityFigure, type FceRun, histogram2d } from "../lib/plot/fce.ts";
import { writeFigure } from "../lib/plot/render.ts";

export default defineTask({
  name: "plot-fce",
  description: "Draws FCE figures: data / flow density / EBM density per run, and the −V, accuracy and MSE curves.",
  usesSeed: false,
  config: z.object({
    /** Cells per axis of the data histogram. */
    data_bins: z.number().int().min(2).default(200),
    /** Threshold line on the accuracy panel (the runs' config value). */
    threshold: z.number().gt(0).lt(1).default(0.6),
    png_scale: z.number().positive().default(1.5),
  }),
  async run(ctx) {
    const pointSets = new Map<string, Float32Array>();
    for (const input of ctx.inputsWith(POINT_SET_FILE)) {
      const set = await readPointSet(`${input.dir}/${POINT_SET_FILE}`);
      pointSets.set(set.dataset, set.points);
    }
    const runs: FceRun[] = [];
    for (const input of ctx.inputsWith(FCE_DENSITIES_FILE)) {
      const d = await readFceDensities(`${input.dir}/${FCE_DENSITIES_FILE}`);
      const points = pointSets.get(d.metadata.dataset);
      if (!points) throw new Error(`Cannot plot '${input.id}': no upstream point set of dataset '${d.metadata.dataset}' (add its toy-2d step to 'needs')`);
      const figure = await fceDensityFigure({
        title: `${input.id}: ${d.metadata.flow} on ${d.metadata.dataset}, step ${d.metadata.iteration}`,
        resolution: d.resolution,
        extent: d.extent,
        data: histogram2d(points, ctx.config.data_bins, d.extent),
        dataResolution: ctx.config.data_bins,
        flowLog: d.flow,
        ebmLog: d.ebm,
      });
      await writeFigure(ctx.outDir, `density-${input.id}`, figure, { scale: ctx.config.png_scale });
      runs.push({ label: input.id, records: await readFceMetrics(`${input.dir}/${FCE_METRICS_FILE}`) });
    }
    if (runs.length === 0) throw new Error(`Cannot plot FCE figures: no upstream step wrote ${FCE_DENSITIES_FILE} (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    await writeFigure(ctx.outDir, "curves", fceCurvesFigure(runs, ctx.config.threshold, "Flow contrastive estimation: training curves"), { scale: ctx.config.png_scale });
    await ctx.writeMetrics({ runs: runs.length });
  },
});
