/**
 * Task `demo-stats`: mean, covariance and per-dimension quantiles of the `demo-generate` points.
 * The moments are computed per chunk on the shared worker pool and then combined. Output:
 * `stats.json` and `metrics.json`.
 *
 * @example
 * ```yaml
 * steps:
 *   stats: { task: demo-stats, needs: [generate], config: { chunks: 4 } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { readSafetensors } from "../lib/util/safetensors.ts";
import { writeJsonAtomic } from "../lib/util/fs.ts";

const momentsWorker = new URL("../lib/runner/demo/chunk_moments.ts", import.meta.url);

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export default defineTask({
  name: "demo-stats",
  description: "Mean, covariance and quantiles of the demo points, per chunk on the worker pool.",
  usesSeed: false,
  config: z.object({
    chunks: z.number().int().positive().default(4),
    quantiles: z.array(z.number().min(0).max(1)).default([0.05, 0.5, 0.95]),
  }),
  async run(ctx) {
    const { tensors } = await readSafetensors(join(ctx.input("demo-generate").dir, "points.safetensors"));
    const x = tensors.x.data as Float32Array;
    const [n, dims] = tensors.x.shape;
    const rowsPerChunk = Math.ceil(n / ctx.config.chunks);
    let finished = 0;
    const parts = await Promise.all(Array.from({ length: ctx.config.chunks }, async (_, c) => {
      const chunk = x.slice(c * rowsPerChunk * dims, Math.min(n, (c + 1) * rowsPerChunk) * dims);
      const result = await ctx.pool.run<{ count: number; sum: number[]; outer: number[] }>(momentsWorker, "chunkMoments", { data: chunk, dims });
      ctx.progress.update(++finished, ctx.config.chunks, "chunk");
      return result;
    }));
    const count = parts.reduce((a, p) => a + p.count, 0);
    const mean = Array.from({ length: dims }, (_, i) => parts.reduce((a, p) => a + p.sum[i], 0) / count);
    const cov = Array.from({ length: dims }, (_, i) =>
      Array.from({ length: dims }, (_, j) => parts.reduce((a, p) => a + p.outer[i * dims + j], 0) / count - mean[i] * mean[j]));
    const quantiles: Record<string, number[]> = {};
    for (let d = 0; d < dims; d++) {
      const column = new Float64Array(n);
      for (let r = 0; r < n; r++) column[r] = x[r * dims + d];
      column.sort();
      quantiles[`dim${d}`] = ctx.config.quantiles.map((q) => quantile(column, q));
    }
    await writeJsonAtomic(join(ctx.outDir, "stats.json"), { count, mean, cov, quantiles: { levels: ctx.config.quantiles, ...quantiles } });
    ctx.log.info(`statistics of ${count} points over ${ctx.config.chunks} chunks`);
    await ctx.writeMetrics({ count, mean_x: mean[0], mean_y: mean[1], var_x: cov[0][0], var_y: cov[1][1], cov_xy: cov[0][1] });
  },
});
