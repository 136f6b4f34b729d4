/**
 * Worker-pool functions of the demo pipeline's `demo-stats` task: per-chunk sums and sums of
 * outer products, which the task adds up into the mean and covariance (numerically fine for the
 * demo's few thousand points in float64).
 *
 * @example
 * ```ts
 * import { chunkMoments } from "./chunk_moments.ts";
 * chunkMoments({ data: new Float32Array([1, 2, 3, 4]), dims: 2 }); // { count: 2, sum: [4, 6], outer: [10, 14, 14, 20] }
 * ```
 * @module
 */

/** Count, per-dimension sum and row-major sum of x xᵀ over the rows of `data` (`dims` columns). */
export function chunkMoments({ data, dims }: { data: Float32Array; dims: number }): { count: number; sum: number[]; outer: number[] } {
  const count = data.length / dims;
  const sum = new Array<number>(dims).fill(0);
  const outer = new Array<number>(dims * dims).fill(0);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < dims; i++) {
      const xi = data[r * dims + i];
      sum[i] += xi;
      for (let j = 0; j < dims; j++) outer[i * dims + j] += xi * data[r * dims + j];
    }
  }
  return { count, sum, outer };
}
