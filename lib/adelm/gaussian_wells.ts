/**
 * An analytic test energy with known minima and saddles: a sum of Gaussian wells
 * `U(x) = −log Σ_k w_k · exp(−‖x − μ_k‖² / (2σ_k²))`. Well k has its minimum near μ_k with
 * energy ≈ −log w_k. For two equal-width wells far from the others the saddle between them lies
 * on the segment between the centres (the orthogonal gradient vanishes there by symmetry), so
 * {@link segmentSaddle} finds the true barrier by 1-D maximisation and reports the gradient norm
 * at that point so a caller can confirm it is a critical point.
 *
 * @example
 * ```ts
 * import { GaussianWells } from "./gaussian_wells.ts";
 * const u = new GaussianWells([{ center: [0, 0] }, { center: [3, 0], weight: 0.8 }]);
 * const { energy } = await u.energyAndGrad(new Float32Array([0, 0]), 1);
 * const saddle = u.segmentSaddle(0, 1); // { energy ≈ 0.49, gradNorm ≈ 0, point }
 * ```
 * @module
 */
import type { Energy } from "./energy.ts";

/** One well: centre μ, weight w > 0 (depth ≈ −log w), width σ > 0. */
export interface WellSpec {
  center: number[];
  weight?: number;
  sigma?: number;
}

/** The Gaussian-wells energy; implements {@link Energy} in float64 internally. */
export class GaussianWells implements Energy {
  readonly dim: number;
  readonly centers: Float64Array[];
  readonly logWeights: Float64Array;
  readonly invVariances: Float64Array;

  constructor(wells: WellSpec[]) {
    if (wells.length === 0) throw new Error("Cannot build Gaussian wells: expected at least one well, got none");
    this.dim = wells[0].center.length;
    if (this.dim === 0) throw new Error("Cannot build Gaussian wells: well 0 has an empty 'center'");
    this.centers = [];
    this.logWeights = new Float64Array(wells.length);
    this.invVariances = new Float64Array(wells.length);
    wells.forEach((well, k) => {
      if (well.center.length !== this.dim) {
        throw new Error(`Cannot build Gaussian wells: well ${k} 'center' has ${well.center.length} elements, expected ${this.dim}`);
      }
      const weight = well.weight ?? 1, sigma = well.sigma ?? 1;
      if (!(weight > 0)) throw new Error(`Cannot build Gaussian wells: well ${k} 'weight' must be positive, got ${weight}`);
      if (!(sigma > 0)) throw new Error(`Cannot build Gaussian wells: well ${k} 'sigma' must be positive, got ${sigma}`);
      this.centers.push(Float64Array.from(well.center));
      this.logWeights[k] = Math.log(weight);
      this.invVariances[k] = 1 / (sigma * sigma);
    });
  }

  /** Energy of one state, and its gradient written into `grad` when given. */
  evaluate(x: ArrayLike<number>, offset = 0, grad?: Float32Array | Float64Array, gradOffset = 0): number {
    const K = this.centers.length, d = this.dim;
    const a = new Float64Array(K);
    let amax = -Infinity;
    for (let k = 0; k < K; k++) {
      const mu = this.centers[k];
      let s = 0;
      for (let i = 0; i < d; i++) {
        const t = x[offset + i] - mu[i];
        s += t * t;
      }
      a[k] = this.logWeights[k] - 0.5 * s * this.invVariances[k];
      if (a[k] > amax) amax = a[k];
    }
    let z = 0;
    for (let k = 0; k < K; k++) {
      a[k] = Math.exp(a[k] - amax);
      z += a[k];
    }
    if (grad) {
      for (let i = 0; i < d; i++) grad[gradOffset + i] = 0;
      for (let k = 0; k < K; k++) {
        const p = (a[k] / z) * this.invVariances[k], mu = this.centers[k];
        if (p === 0) continue;
        for (let i = 0; i < d; i++) grad[gradOffset + i] += p * (x[offset + i] - mu[i]);
      }
    }
    return -(amax + Math.log(z));
  }

  energyAndGrad(x: Float32Array, n: number): Promise<{ energy: Float32Array; grad: Float32Array }> {
    if (x.length !== n * this.dim) {
      return Promise.reject(new Error(`Cannot evaluate Gaussian wells: expected ${n}×${this.dim} = ${n * this.dim} values, got ${x.length}`));
    }
    const energy = new Float32Array(n), grad = new Float32Array(n * this.dim);
    for (let i = 0; i < n; i++) energy[i] = this.evaluate(x, i * this.dim, grad, i * this.dim);
    return Promise.resolve({ energy, grad });
  }

  /** The local minimum reached by gradient descent from centre `k` (exact up to `tolerance`). */
  localMinimum(k: number, tolerance = 1e-10, maxSteps = 100_000): { point: Float64Array; energy: number } {
    const x = Float64Array.from(this.centers[k]), g = new Float64Array(this.dim);
    // step below 2/curvature of the narrowest well keeps plain gradient descent stable
    const step = 0.5 / Math.max(...this.invVariances);
    for (let s = 0; s < maxSteps; s++) {
      this.evaluate(x, 0, g);
      let norm = 0;
      for (let i = 0; i < this.dim; i++) {
        x[i] -= step * g[i];
        norm += g[i] * g[i];
      }
      if (Math.sqrt(norm) < tolerance) break;
    }
    return { point: x, energy: this.evaluate(x) };
  }

  /**
   * Maximum of U on the segment from local minimum i to local minimum j: a fine grid scan then
   * golden-section refinement. `gradNorm` ≈ 0 confirms the maximum is a true saddle point.
   */
  segmentSaddle(i: number, j: number): { energy: number; point: Float64Array; gradNorm: number } {
    const a = this.localMinimum(i).point, b = this.localMinimum(j).point;
    const at = (t: number) => a.map((v, m) => v + t * (b[m] - v));
    const f = (t: number) => this.evaluate(at(t));
    const N = 4000;
    let best = 0;
    for (let s = 1; s <= N; s++) if (f(s / N) > f(best / N)) best = s;
    let lo = Math.max(0, (best - 1) / N), hi = Math.min(1, (best + 1) / N);
    const phi = (Math.sqrt(5) - 1) / 2;
    for (let it = 0; it < 100; it++) {
      const m1 = hi - phi * (hi - lo), m2 = lo + phi * (hi - lo);
      if (f(m1) < f(m2)) lo = m1;
      else hi = m2;
    }
    const point = at((lo + hi) / 2), g = new Float64Array(this.dim);
    const energy = this.evaluate(point, 0, g);
    return { energy, point, gradNorm: Math.hypot(...g) };
  }
}
