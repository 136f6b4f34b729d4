/**
 * The small energy interface the ADELM algorithms are written against: a batched energy and its
 * gradient in state space. Analytic energies implement it in pure JS (tests, benchmarks); a
 * trained network implements it through {@link import("./tfjs_energy.ts").energyFromTfjs}.
 *
 * @example
 * ```ts
 * import type { Energy } from "./energy.ts";
 * const bowl: Energy = {
 *   dim: 2,
 *   energyAndGrad(x, n) {
 *     const energy = new Float32Array(n), grad = new Float32Array(x);
 *     for (let i = 0; i < n; i++) energy[i] = 0.5 * (x[2 * i] ** 2 + x[2 * i + 1] ** 2);
 *     return Promise.resolve({ energy, grad });
 *   },
 * };
 * ```
 * @module
 */

/** A batched energy U: R^dim → R with its gradient. */
export interface Energy {
  /** Number of elements of one state (e.g. 3·32·32 for a 32×32 RGB image). */
  readonly dim: number;
  /**
   * Energies and gradients of `n` states stored row after row in `x` (length `n·dim`).
   * Row i of the result must depend only on row i of `x`, so that batching cannot change results.
   */
  energyAndGrad(x: Float32Array, n: number): Promise<{ energy: Float32Array; grad: Float32Array }>;
}

/** Euclidean distance between two equal-length vectors. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}
