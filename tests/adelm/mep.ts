/**
 * Test helper: the minimum energy path between two minima by the simplified string method
 * (gradient steps on interior images, then re-spacing them at equal arc length), giving the true
 * saddle energy (the minimax barrier along the path) to check ADELM's barrier estimates against.
 *
 * @example
 * ```ts
 * import { minimumEnergyPath } from "./mep.ts";
 * const { saddle } = minimumEnergyPath(wells, a, b);
 * ```
 * @module
 */
import type { GaussianWells } from "../../lib/adelm/gaussian_wells.ts";

/** Converged string between `a` and `b`: its highest energy and the images. */
export function minimumEnergyPath(u: GaussianWells, a: ArrayLike<number>, b: ArrayLike<number>, images = 81, iterations = 3000): { saddle: number; path: Float64Array[] } {
  const d = u.dim;
  let path: Float64Array[] = Array.from({ length: images }, (_, i) => {
    const t = i / (images - 1);
    return Float64Array.from({ length: d }, (_, m) => a[m] + t * (b[m] - a[m]));
  });
  const g = new Float64Array(d);
  const step = 0.2 / Math.max(...u.invVariances);
  for (let it = 0; it < iterations; it++) {
    for (let i = 1; i < images - 1; i++) {
      u.evaluate(path[i], 0, g);
      for (let m = 0; m < d; m++) path[i][m] -= step * g[m];
    }
    path = respace(path);
  }
  // a fine piecewise-linear scan catches the peak between images
  let saddle = -Infinity;
  for (let i = 0; i < images - 1; i++) {
    for (let s = 0; s <= 50; s++) {
      const t = s / 50, x = path[i].map((v, m) => v + t * (path[i + 1][m] - v));
      saddle = Math.max(saddle, u.evaluate(x));
    }
  }
  return { saddle, path };
}

function respace(path: Float64Array[]): Float64Array[] {
  const n = path.length, cum = [0];
  for (let i = 1; i < n; i++) cum.push(cum[i - 1] + dist(path[i], path[i - 1]));
  const total = cum[n - 1], out: Float64Array[] = [path[0]];
  let seg = 0;
  for (let i = 1; i < n - 1; i++) {
    const s = (i / (n - 1)) * total;
    while (cum[seg + 1] < s) seg++;
    const t = (s - cum[seg]) / Math.max(cum[seg + 1] - cum[seg], 1e-300);
    out.push(path[seg].map((v, m) => v + t * (path[seg + 1][m] - v)));
  }
  out.push(path[n - 1]);
  return out;
}

function dist(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}
