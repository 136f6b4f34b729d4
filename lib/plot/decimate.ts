/**
 * Shrinks a long series for drawing without changing the picture: per horizontal bucket (about
 * one pixel column) it keeps the first, lowest, highest and last point in index order, so the
 * drawn envelope and every spike survive (the "M4" rule). 100,000 iterations drawn 400 px wide
 * become ≤ 1,600 points.
 *
 * @example
 * ```ts
 * import { decimateMinMax } from "./decimate.ts";
 * const y = Float64Array.from({ length: 100000 }, (_, i) => Math.sin(i));
 * const { x, y: ys } = decimateMinMax(y, 400); // x are original indices
 * ```
 * @module
 */

/** Kept points: `x` are indices into the input, `y` their values. */
export interface Decimated {
  x: Float64Array;
  y: Float64Array;
}

/** Keeps first/min/max/last per bucket of `⌈n / buckets⌉` points; short series pass unchanged. */
export function decimateMinMax(values: ArrayLike<number>, buckets: number): Decimated {
  const n = values.length;
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`Cannot decimate: expected a positive whole number of buckets, got ${buckets}`);
  if (n <= buckets * 4) {
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) { x[i] = i; y[i] = values[i]; }
    return { x, y };
  }
  const size = Math.ceil(n / buckets);
  const xs: number[] = [], ys: number[] = [];
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    let lo = start, hi = start;
    for (let i = start + 1; i < end; i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    const keep = [...new Set([start, lo, hi, end - 1])].sort((a, b) => a - b);
    for (const i of keep) { xs.push(i); ys.push(values[i]); }
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}
