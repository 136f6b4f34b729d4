/**
 * Worker-pool module of the toy KDE (see `kde.ts`): evaluates a chunk of grid rows.
 *
 * @example
 * ```ts
 * import { kdeRows } from "./kde_worker.ts";
 * const rows = kdeRows({ points: new Float64Array([0, 0, 1, 1]), inverse: [1, 0, 1], scale: 1 / (2 * 2 * Math.PI),
 *   xs: new Float64Array([0, 1]), ys: new Float64Array([0]) });
 * ```
 * @module
 */

/** One chunk of rows: the kernel (inverse covariance [a, b, c], scale) and the grid coordinates. */
export interface KdeRowsJob {
  points: Float64Array;
  inverse: [number, number, number];
  scale: number;
  xs: Float64Array;
  ys: Float64Array;
}

/** Above this exponent magnitude the factored form could overflow; evaluate directly instead. */
const SAFE_EXPONENT = 600;

/**
 * Mean (x, y) of interleaved 2-D points `[x0, y0, x1, y1, …]`.
 *
 * @example
 * ```ts
 * pointsMean(Float64Array.of(0, 0, 2, 4)); // [1, 2]
 * ```
 */
export function pointsMean(points: Float64Array): [number, number] {
  const n = points.length / 2;
  let mx = 0, my = 0;
  for (let k = 0; k < n; k++) {
    mx += points[2 * k];
    my += points[2 * k + 1];
  }
  return [mx / n, my / n];
}

/**
 * Density at every (xs[ix], ys[iy]), row-major by y. The quadratic form
 * a·dx² + 2b·dx·dy + c·dy² with dx = x − pₓ, dy = y − p_y splits into
 * A[ix,k] = exp(−a·dx²/2 + b·x·p_y), B[iy,k] = exp(−c·dy²/2 + b·pₓ·y − b·pₓ·p_y) and
 * C[ix,iy] = exp(−b·x·y), so density = scale · C ∘ (B·Aᵀ). Coordinates are centred on the
 * points' mean first, which keeps the b-terms small.
 */
export function kdeRows(job: KdeRowsJob): Float64Array {
  const { points, inverse: [a, b, c], scale, xs, ys } = job;
  const n = points.length / 2, nx = xs.length, ny = ys.length;
  const [mx, my] = pointsMean(points);
  const px = new Float64Array(n), py = new Float64Array(n);
  let maxP = 0;
  for (let k = 0; k < n; k++) {
    px[k] = points[2 * k] - mx;
    py[k] = points[2 * k + 1] - my;
    maxP = Math.max(maxP, Math.abs(px[k]), Math.abs(py[k]));
  }
  const gx = xs.map((v) => v - mx), gy = ys.map((v) => v - my);
  let maxG = 0;
  for (const v of gx) maxG = Math.max(maxG, Math.abs(v));
  for (const v of gy) maxG = Math.max(maxG, Math.abs(v));
  const out = new Float64Array(nx * ny);
  if (Math.abs(b) * (maxG * maxP + maxP * maxP) > SAFE_EXPONENT) return direct(job, gx, gy, px, py);

  const A = new Float64Array(nx * n); // A[ix * n + k]
  for (let ix = 0; ix < nx; ix++) {
    const x = gx[ix];
    for (let k = 0; k < n; k++) {
      const dx = x - px[k];
      A[ix * n + k] = Math.exp(-0.5 * a * dx * dx + b * x * py[k]);
    }
  }
  const B = new Float64Array(n);
  for (let iy = 0; iy < ny; iy++) {
    const y = gy[iy];
    for (let k = 0; k < n; k++) {
      const dy = y - py[k];
      B[k] = Math.exp(-0.5 * c * dy * dy + b * px[k] * y - b * px[k] * py[k]);
    }
    for (let ix = 0; ix < nx; ix++) {
      let sum = 0;
      const row = ix * n;
      for (let k = 0; k < n; k++) sum += A[row + k] * B[k];
      out[iy * nx + ix] = scale * Math.exp(-b * gx[ix] * y) * sum;
    }
  }
  return out;
}

function direct(job: KdeRowsJob, gx: Float64Array, gy: Float64Array, px: Float64Array, py: Float64Array): Float64Array {
  const [a, b, c] = job.inverse;
  const nx = gx.length, ny = gy.length, n = px.length;
  const out = new Float64Array(nx * ny);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const dx = gx[ix] - px[k], dy = gy[iy] - py[k];
        sum += Math.exp(-0.5 * (a * dx * dx + 2 * b * dx * dy + c * dy * dy));
      }
      out[iy * nx + ix] = job.scale * sum;
    }
  }
  return out;
}
