/**
 * `toy-2d`: draws `n_samples` points of one classic 2-D dataset (`lib/data/toy_2d.ts`: the FCE
 * seed's 8gaussians, spiral, 2spirals, checkerboard, rings, pinwheel, and VERA's moons, circles,
 * swissroll) from the step's seed and writes them as a point set (`points.safetensors`, format in
 * `lib/data/point_set_file.ts`) plus `metrics.json` (count, per-axis mean and sd).
 *
 * Not the anatomy paper's toy data: `train-toy` draws its own `gmm`/`rings` (`lib/data/toy.ts`)
 * inside training; these generators feed `train-fce` (and VERA) through the point-set file.
 *
 * @example
 * ```yaml
 * steps:
 *   data-8gaussians: { task: toy-2d, config: { dataset: 8gaussians, n_samples: 500000 } }
 * ```
 * @module
 */
import { z } from "zod";
import { defineTask } from "../lib/task.ts";
import { sampleToy2d, TOY_2D_DATASETS } from "../lib/data/toy_2d.ts";
import { POINT_SET_FILE, writePointSet } from "../lib/data/point_set_file.ts";
import { Random } from "../lib/util/random.ts";

export default defineTask({
  name: "toy-2d",
  description: "Draws a classic 2-D point dataset (8gaussians, spiral, …, swissroll) as a point-set file.",
  config: z.object({
    /** The generator (see lib/data/toy_2d.ts). */
    dataset: z.enum(TOY_2D_DATASETS),
    /** Number of points; the FCE seed trains on 500,000. */
    n_samples: z.number().int().positive().default(500_000),
  }),
  async run(ctx) {
    const { dataset, n_samples } = ctx.config;
    const points = sampleToy2d(dataset, n_samples, new Random(ctx.seed));
    await writePointSet(`${ctx.outDir}/${POINT_SET_FILE}`, { points, dim: 2, dataset }, { seed: String(ctx.seed) });
    const m = [0, 0], s = [0, 0];
    for (let i = 0; i < points.length; i++) m[i % 2] += points[i];
    m[0] /= n_samples, m[1] /= n_samples;
    for (let i = 0; i < points.length; i++) s[i % 2] += (points[i] - m[i % 2]) ** 2;
    await ctx.writeMetrics({ count: n_samples, mean_x: m[0], mean_y: m[1], sd_x: Math.sqrt(s[0] / n_samples), sd_y: Math.sqrt(s[1] / n_samples) });
    ctx.log.info(`Drew ${n_samples} points of ${dataset} (seed ${ctx.seed})`);
  },
});
