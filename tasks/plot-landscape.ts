/**
 * Task `plot-landscape`: the toy-landscape figure (true density / EBM density / short-run KDE
 * and their logs, 2×3 heatmaps, x right and y up) for every upstream step that wrote
 * `landscape.json` (format in `lib/plot/readers.ts`). Output: `landscape.svg/.png`
 * (`landscape-<step>.*` with several inputs).
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
import { LANDSCAPE_FILE, readLandscapeFile } from "../lib/artifacts/landscape_file.ts";
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
  }),
  async run(ctx) {
    const sources = [];
    for (const input of ctx.inputs) {
      const path = join(input.dir, ctx.config.file);
      if (await exists(path)) sources.push({ input, path });
    }
    if (sources.length === 0) throw new Error(`Cannot plot landscapes: no upstream step wrote ${ctx.config.file} (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    for (const { input, path } of sources) {
      const data = await readLandscapeFile(path);
      const figure = await landscapeFigure({ ...data, yUp: ctx.config.y_up, title: `${input.id}: toy landscape` });
      await writeFigure(ctx.outDir, sources.length === 1 ? "landscape" : `landscape-${input.id}`, figure, { scale: ctx.config.png_scale });
    }
    await ctx.writeMetrics({ figures: sources.length });
  },
});
