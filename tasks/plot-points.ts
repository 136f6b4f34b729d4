/**
 * Task `plot-points`: scatter panels of the upstream 2-D point sets — each input's
 * `points.safetensors` (the data) and `samples.safetensors` (a sampler's points: VERA's
 * generator, persistent chains), in `needs` order, on one [−extent, extent]² window.
 * Output: `points.svg/.png`.
 *
 * @example
 * ```yaml
 * steps:
 *   samples: { task: plot-points, needs: [data-8gaussians, vera-8gaussians, pcd-8gaussians] }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { exists } from "../lib/util/fs.ts";
import { POINT_SET_FILE, readPointSet, SAMPLES_FILE } from "../lib/data/point_set_file.ts";
import { type PointPanel, pointsFigure } from "../lib/plot/points.ts";
import { writeFigure } from "../lib/plot/render.ts";

export default defineTask({
  name: "plot-points",
  description: "Scatter plots of the upstream 2-D point sets (data and sampler points) side by side.",
  usesSeed: false,
  config: z.object({
    extent: z.number().positive().default(4),
    max_points: z.number().int().positive().default(2000),
    title: z.string().optional(),
    png_scale: z.number().positive().default(2),
  }),
  async run(ctx) {
    const panels: PointPanel[] = [];
    for (const input of ctx.inputs) {
      for (const [file, label] of [[POINT_SET_FILE, "data"], [SAMPLES_FILE, "samples"]] as const) {
        const path = join(input.dir, file);
        if (!(await exists(path))) continue;
        const set = await readPointSet(path);
        if (set.dim !== 2) throw new Error(`Cannot plot '${path}': expected 2-D points, got dimension ${set.dim}`);
        panels.push({ title: `${input.id} (${label})`, points: set.points });
      }
    }
    if (panels.length === 0) throw new Error(`Cannot plot points: no upstream step wrote ${POINT_SET_FILE} or ${SAMPLES_FILE} (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    await writeFigure(ctx.outDir, "points", pointsFigure(panels, { extent: ctx.config.extent, maxPoints: ctx.config.max_points, title: ctx.config.title }), { scale: ctx.config.png_scale });
    await ctx.writeMetrics({ panels: panels.length });
  },
});
