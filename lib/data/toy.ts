/**
 * The paper's 2-D toy distributions (SPEC §2), used by train-toy:
 * - `gmm`: `toy_groups` equally weighted Gaussians of sd `toy_sd` with means evenly on the circle of
 *   radius `toy_radius` (angles 2πk/groups, k = 0…groups−1);
 * - `rings`: `toy_groups` equally weighted rings with radii `toy_radius·(k+1)` and radial sd
 *   `toy_sd`; the density divides each ring's radial normal by its circumference 2π·r_k.
 * The visualisation extent is m = radius + 4·sd (gmm) or groups·radius + 4·sd (rings), on a
 * `viz_res × viz_res` grid over [−m, m]². Grid arrays are row-major with rows along y:
 * value `[iy·res + ix]` belongs to the point (xs[ix], xs[iy]).
 *
 * @example
 * ```ts
 * import { ToyDistribution, gridKL } from "./toy.ts";
 * import { Random } from "../util/random.ts";
 * const toy = new ToyDistribution({ toy_type: "gmm", toy_groups: 8, toy_sd: 0.15, toy_radius: 1 });
 * const batch = toy.sample(100, new Random(123)); // Float32Array [x0, y0, x1, y1, …]
 * const grid = toy.grid(200);                      // density, logDensity, points, mass
 * const kl = gridKL(grid.mass, grid.mass);         // 0
 * ```
 * @module
 */
import type { Random } from "../util/random.ts";

/** The toy fields of the paper's configs. */
export interface ToyConfig {
  toy_type: "gmm" | "rings";
  toy_groups: number;
  toy_sd: number;
  toy_radius: number;
}

/** True density and friends on the visualisation grid. */
export interface ToyGrid {
  res: number;
  /** Half-width m of the square [−m, m]². */
  extent: number;
  /** The `res` coordinates along each axis (numpy `linspace(−m, m, res)`). */
  xs: Float64Array;
  /** `[res², 2]` interleaved (x, y) points in grid order, for evaluating an EBM on the same grid. */
  points: Float32Array;
  /** Continuous density at each grid point. */
  density: Float64Array;
  /** Its natural log (computed stably, finite in the tails). */
  logDensity: Float64Array;
  /** Density normalised to sum 1 over the grid (probability mass per cell). */
  mass: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

function logSumExp(values: number[]): number {
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const v of values) s += Math.exp(v - max);
  return max + Math.log(s);
}

/** A toy distribution: sampling, exact (log-)density, and grids. */
export class ToyDistribution {
  readonly config: ToyConfig;
  /** gmm component means as [x, y] (empty for rings). */
  readonly means: [number, number][];

  constructor(config: ToyConfig) {
    const { toy_type, toy_groups, toy_sd, toy_radius } = config;
    if (toy_type !== "gmm" && toy_type !== "rings") throw new Error(`Cannot read config 'toy_type': expected "gmm" or "rings", got ${JSON.stringify(toy_type)}`);
    if (!Number.isInteger(toy_groups) || toy_groups < 1) throw new Error(`Cannot read config 'toy_groups': expected a positive whole number, got ${toy_groups}`);
    if (!(toy_sd > 0)) throw new Error(`Cannot read config 'toy_sd': expected a positive number, got ${toy_sd}`);
    if (!(toy_radius > 0)) throw new Error(`Cannot read config 'toy_radius': expected a positive number, got ${toy_radius}`);
    this.config = { toy_type, toy_groups, toy_sd, toy_radius };
    this.means = toy_type === "gmm"
      ? Array.from({ length: toy_groups }, (_, k) => {
        const angle = (2 * Math.PI * k) / toy_groups;
        return [toy_radius * Math.cos(angle), toy_radius * Math.sin(angle)] as [number, number];
      })
      : [];
  }

  /** The half-width m of the visualisation square. */
  extent(): number {
    const { toy_type, toy_groups, toy_sd, toy_radius } = this.config;
    return (toy_type === "rings" ? toy_groups * toy_radius : toy_radius) + 4 * toy_sd;
  }

  /** `n` points as interleaved (x, y) float32; each picks its group uniformly. */
  sample(n: number, rng: Random): Float32Array {
    const { toy_type, toy_groups, toy_sd, toy_radius } = this.config;
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const k = rng.int(toy_groups);
      if (toy_type === "gmm") {
        out[2 * i] = this.means[k][0] + toy_sd * rng.normal();
        out[2 * i + 1] = this.means[k][1] + toy_sd * rng.normal();
      } else {
        const r = toy_radius * (k + 1) + toy_sd * rng.normal();
        const theta = 2 * Math.PI * rng.uniform();
        out[2 * i] = r * Math.cos(theta);
        out[2 * i + 1] = r * Math.sin(theta);
      }
    }
    return out;
  }

  /** Exact log-density at (x, y). */
  logDensity(x: number, y: number): number {
    const { toy_type, toy_groups, toy_sd, toy_radius } = this.config;
    const logW = -Math.log(toy_groups);
    const var2 = 2 * toy_sd * toy_sd;
    const terms: number[] = [];
    if (toy_type === "gmm") {
      for (const [mx, my] of this.means) {
        const d2 = (x - mx) ** 2 + (y - my) ** 2;
        terms.push(logW - LOG_2PI - 2 * Math.log(toy_sd) - d2 / var2);
      }
    } else {
      const r = Math.sqrt(x * x + y * y);
      for (let k = 0; k < toy_groups; k++) {
        const rk = toy_radius * (k + 1);
        terms.push(logW - 0.5 * LOG_2PI - Math.log(toy_sd) - (r - rk) ** 2 / var2 - Math.log(2 * Math.PI * rk));
      }
    }
    return logSumExp(terms);
  }

  /** Exact density at (x, y). */
  density(x: number, y: number): number {
    return Math.exp(this.logDensity(x, y));
  }

  /** The density on the `res × res` grid over [−m, m]². */
  grid(res: number): ToyGrid {
    if (!Number.isInteger(res) || res < 2) throw new Error(`Cannot read config 'viz_res': expected a whole number ≥ 2, got ${res}`);
    const extent = this.extent();
    const xs = gridAxis(extent, res);
    const n = res * res;
    const points = gridPoints(xs), density = new Float64Array(n), logDensity = new Float64Array(n);
    for (let iy = 0; iy < res; iy++) {
      for (let ix = 0; ix < res; ix++) {
        const i = iy * res + ix;
        logDensity[i] = this.logDensity(xs[ix], xs[iy]);
        density[i] = Math.exp(logDensity[i]);
      }
    }
    return { res, extent, xs, points, density, logDensity, mass: normaliseLogGrid(logDensity) };
  }
}

/** numpy `linspace(−m, m, res)`. */
export function gridAxis(extent: number, res: number): Float64Array {
  const xs = new Float64Array(res);
  const step = (2 * extent) / (res - 1);
  for (let i = 0; i < res; i++) xs[i] = -extent + i * step;
  xs[res - 1] = extent;
  return xs;
}

/**
 * The points of the grid `xs × xs`, interleaved (x, y), x running fastest: row `iy` holds
 * (xs[0], xs[iy]) … (xs[n−1], xs[iy]) — the order every landscape file stores its values in.
 *
 * @example
 * ```ts
 * gridPoints([-1, 1]); // Float32Array [-1, -1, 1, -1, -1, 1, 1, 1]
 * ```
 */
export function gridPoints(xs: ArrayLike<number>): Float32Array {
  const n = xs.length, points = new Float32Array(2 * n * n);
  for (let iy = 0; iy < n; iy++) {
    for (let ix = 0; ix < n; ix++) {
      points[2 * (iy * n + ix)] = xs[ix];
      points[2 * (iy * n + ix) + 1] = xs[iy];
    }
  }
  return points;
}

/**
 * Turns log-values on a grid (e.g. `−(2/ε²)·f` for an EBM) into probability masses summing to 1,
 * stably (max subtracted before exponentiating).
 */
export function normaliseLogGrid(logValues: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logValues.length; i++) if (logValues[i] > max) max = logValues[i];
  const out = new Float64Array(logValues.length);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] = Math.exp(logValues[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * KL(p‖q) = Σ p·(log p − log q) between two grid mass functions (each summing to 1); cells with
 * p = 0 contribute 0, q is floored at 1e-300 so a missed mode gives a large finite value.
 */
export function gridKL(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error(`Cannot compute KL: grids have ${p.length} and ${q.length} cells`);
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) kl += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-300)));
  }
  return kl;
}
