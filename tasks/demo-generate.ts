/**
 * Task `demo-generate`: seeded points from a Gaussian mixture whose component centres sit on a
 * circle. Output: `points.safetensors` (`x` F32 [points, 2], `label` I32 [points]) and
 * `metrics.json`. Part of the `demo` pipeline that exercises the runner end to end.
 *
 * @example
 * ```yaml
 * steps:
 *   generate: { task: demo-generate, config: { points: 2000, components: 3 } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { Random } from "../lib/util/random.ts";
import { encodeSafetensors } from "../lib/util/safetensors.ts";
import { writeFileAtomic } from "../lib/util/fs.ts";

export default defineTask({
  name: "demo-generate",
  description: "Samples 2-D points from a seeded Gaussian mixture (demo pipeline).",
  config: z.object({
    points: z.number().int().positive().default(2000),
    components: z.number().int().positive().default(3),
    /** Radius of the circle the component centres sit on. */
    radius: z.number().positive().default(4),
    /** Standard deviation of each component. */
    sd: z.number().positive().default(0.5),
  }),
  async run(ctx) {
    const { points, components, radius, sd } = ctx.config;
    const rng = new Random(ctx.seed);
    const x = new Float32Array(points * 2);
    const label = new Int32Array(points);
    for (let i = 0; i < points; i++) {
      const k = rng.int(components);
      const angle = (2 * Math.PI * k) / components;
      label[i] = k;
      x[2 * i] = radius * Math.cos(angle) + sd * rng.normal();
      x[2 * i + 1] = radius * Math.sin(angle) + sd * rng.normal();
      if (i % 500 === 0) ctx.progress.update(i, points, "point");
    }
    ctx.progress.update(points, points, "point");
    await writeFileAtomic(join(ctx.outDir, "points.safetensors"), encodeSafetensors({
      x: { dtype: "F32", shape: [points, 2], data: x },
      label: { dtype: "I32", shape: [points], data: label },
    }, { seed: String(ctx.seed) }));
    ctx.log.info(`wrote ${points} points from ${components} components (seed ${ctx.seed})`);
    await ctx.writeMetrics({ points, components });
  },
});
