/**
 * Task `plot-landscape`: the toy-landscape figure (true density / EBM density / short-run KDE
 * and their logs, 2×3 heatmaps, x right and y up) for every upstream step that wrote
 * `landscape.json` (format in `lib/artifacts/landscape_file.ts`). Output: `landscape.svg/.png`
 * (`landscape-<step>.*` with several inputs), and with `progress` (default) one figure per
 * logged iteration of each input (`landscapes/landscape_<iter>.json` →
 * `progress/<step>/landscape_<iter>.svg/.png`): training writes data only.
 *
 * @example
 * ```yaml
 * steps:
 *   landscape: { task: plot-landscape, needs: [train-toy] }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { exists } from "../lib/util/fs.ts";
import { landscapeFigure } from "../lib/plot/landscape.ts";
import { LANDSCAPE_FILE, type LandscapeGrids, readLandscapeFile } from "../lib/artifacts/landscape_file.ts";
import { writeFigure } from "../lib/plot/render.ts";

export default defineTask({
  name: "plot-landscape",
  description: "Plots toy densities (true, EBM, short-run KDE) and their logs as heatmaps for each upstream toy run.",
  usesSeed: false,
  config: z.object({
    /** File name looked for in each upstream output. */
    file: z.string().default(LANDSCAPE_FILE),
    /** true: y grows upwards; false: row 0 at the top like the paper's imshow. */
    y_up: z.boolean().default(true),
    png_scale: z.number().positive().default(2),
    /** Also draw the landscapes training logged every `log_viz_freq` iterations. */
    progress: z.boolean().default(true),
    /** Name of the sampler the third column's KDE comes from (VERA: "Generator"). */
    kde_label: z.string().min(1).default("Short-run"),
  }),
  async run(ctx) {
    const sources = ctx.inputsWith(ctx.config.file).map((input) => ({ input, path: join(input.dir, ctx.config.file) }));
    if (sources.length === 0) throw new Error(`Cannot plot landscapes: no upstream step wrote ${ctx.config.file} (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    const title = (data: LandscapeGrids) =>
      data.kl_true_ebm === undefined || data.kl_true_kde === undefined ? "" : `: KL(true‖EBM) ${data.kl_true_ebm.toFixed(3)}, KL(true‖KDE) ${data.kl_true_kde.toFixed(3)}`;
    let progressFigures = 0;
    for (const { input, path } of sources) {
      const data = await readLandscapeFile(path);
      const figure = await landscapeFigure({ ...data, yUp: ctx.config.y_up, kdeLabel: ctx.config.kde_label, title: `${input.id}: toy landscape${title(data)}` });
      await writeFigure(ctx.outDir, sources.length === 1 ? "landscape" : `landscape-${input.id}`, figure, { scale: ctx.config.png_scale });
      const progressDir = join(input.dir, "landscapes");
      if (!ctx.config.progress || !(await exists(progressDir))) continue;
      const files = [...Deno.readDirSync(progressDir)].map((e) => e.name).filter((n) => /^landscape_\d+\.json$/.test(n)).sort();
      for (const name of files) {
        const step = await readLandscapeFile(join(progressDir, name));
        const iteration = step.iteration === undefined ? "" : ` iteration ${step.iteration}`;
        const progress = await landscapeFigure({ ...step, yUp: ctx.config.y_up, kdeLabel: ctx.config.kde_label, title: `${input.id}${iteration}${title(step)}` });
        await writeFigure(join(ctx.outDir, "progress", input.id), name.replace(/\.json$/, ""), progress, { scale: ctx.config.png_scale });
        progressFigures++;
      }
    }
    await ctx.writeMetrics({ figures: sources.length, progress_figures: progressFigures });
  },
});
