/**
 * Gaussian kernel density estimate of 2-D points on a grid, with scipy's `gaussian_kde`
 * definition of the bandwidth (the paper's toy landscapes use `gaussian_kde(x, bw_method=kde_bw)`):
 * kernel covariance = sample covariance of the points (n − 1 denominator) · bw², density =
 * (1/n) Σₖ N(x; xₖ, Σ). The grid rows fan out over the worker pool.
 *
 * Why it is fast: with Σ⁻¹ = [[a, b], [b, c]], each kernel on the grid factors as
 * `C[i,j] · A[i,k] · B[j,k]` (see {@link kdeRows}), so the whole grid is one matrix product
 * (ny × n)·(n × nx) instead of nx·ny·n exponentials.
 *
 * @example
 * ```ts
 * import { createPool } from "../pool/pool.ts";
 * import { kdeOnGrid } from "./kde.ts";
 * const pool = createPool({ threads: 2 });
 * const xs = [-1, 0, 1], ys = [-1, 0, 1];
 * const density = await kdeOnGrid(pool, new Float64Array([0, 0, 0.5, 0.2, -0.3, 0.1]), xs, ys, 0.1);
 * // density[iy * xs.length + ix] is the KDE at (xs[ix], ys[iy])
 * await pool.close();
 * ```
 * @module
 */
import type { WorkerPool } from "../pool/pool.ts";
import { type KdeRowsJob, pointsMean } from "./kde_worker.ts";

/** The kernel of scipy's gaussian_kde for interleaved points `[x0, y0, x1, y1, …]`. */
export interface KdeKernel {
  /** Points, interleaved x,y. */
  points: Float64Array;
  /** Kernel covariance [[sxx, sxy], [sxy, syy]] = data covariance · bw². */
  covariance: [number, number, number];
  /** Inverse covariance [a, b, c] = [[a, b], [b, c]]. */
  inverse: [number, number, number];
  /** 1 / (n · 2π · √det Σ). */
  scale: number;
}

/** Builds the kernel; throws when the points are too few or their covariance is singular. */
export function kdeKernel(points: Float64Array, bandwidth: number): KdeKernel {
  const n = points.length / 2;
  if (!Number.isInteger(n) || n < 2) throw new Error(`Cannot build a KDE: expected at least 2 interleaved 2-D points, got ${points.length} numbers`);
  if (!(bandwidth > 0)) throw new Error(`Cannot build a KDE: 'kde_bw' must be positive, got ${bandwidth}`);
  const [mx, my] = pointsMean(points);
  let sxx = 0, sxy = 0, syy = 0;
  for (let k = 0; k < n; k++) {
    const dx = points[2 * k] - mx, dy = points[2 * k + 1] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const f = (bandwidth * bandwidth) / (n - 1);
  sxx *= f;
  sxy *= f;
  syy *= f;
  const det = sxx * syy - sxy * sxy;
  if (!(det > 0) || !Number.isFinite(det)) {
    throw new Error(`Cannot build a KDE: the covariance of the ${n} points is singular or not finite (det ${det})`);
  }
  return {
    points,
    covariance: [sxx, sxy, syy],
    inverse: [syy / det, -sxy / det, sxx / det],
    scale: 1 / (n * 2 * Math.PI * Math.sqrt(det)),
  };
}

/** Direct O(nx·ny·n) evaluation at one location (the definition; used by tests and as a check). */
export function kdeAt(kernel: KdeKernel, x: number, y: number): number {
  const [a, b, c] = kernel.inverse;
  const p = kernel.points;
  let sum = 0;
  for (let k = 0; k < p.length; k += 2) {
    const dx = x - p[k], dy = y - p[k + 1];
    sum += Math.exp(-0.5 * (a * dx * dx + 2 * b * dx * dy + c * dy * dy));
  }
  return sum * kernel.scale;
}

/**
 * KDE of `points` (interleaved x,y) on the grid `xs × ys`, row-major by y:
 * `result[iy * xs.length + ix]` = density at (xs[ix], ys[iy]). Rows are split into one chunk per
 * pool thread.
 */
export async function kdeOnGrid(pool: WorkerPool, points: Float64Array, xs: ArrayLike<number>, ys: ArrayLike<number>, bandwidth: number): Promise<Float64Array> {
  const kernel = kdeKernel(points, bandwidth);
  const nx = xs.length, ny = ys.length;
  const chunks = Math.max(1, Math.min(pool.size, ny));
  const per = Math.ceil(ny / chunks);
  const worker = new URL("./kde_worker.ts", import.meta.url);
  const jobs: Promise<Float64Array>[] = [];
  for (let start = 0; start < ny; start += per) {
    const job: KdeRowsJob = {
      points: kernel.points,
      inverse: kernel.inverse,
      scale: kernel.scale,
      xs: Float64Array.from(xs),
      ys: Float64Array.from(ys).subarray(start, Math.min(ny, start + per)).slice(),
    };
    jobs.push(pool.run<Float64Array>(worker, "kdeRows", job));
  }
  const parts = await Promise.all(jobs);
  const out = new Float64Array(nx * ny);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
