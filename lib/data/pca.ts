/**
 * Principal component analysis, deterministic: the same rows give the same components bit for bit
 * on every machine (plain Float64 arithmetic in a fixed order, no threads, no BLAS).
 *
 * {@link fitPca}: the covariance (population, 1/n) is accumulated row by row around each column's
 * minimum (images' background pixels then contribute nothing, halving the work on Fashion-MNIST),
 * and its leading `k` eigenvectors come from subspace iteration with `k + oversample` vectors,
 * started from a fixed pseudo-random basis, re-orthonormalised (modified Gram–Schmidt, twice)
 * after every product and rotated by a Rayleigh–Ritz step (cyclic Jacobi on the small projected
 * matrix) every few iterations, until every kept pair satisfies ‖C v − λ v‖ ≤ tol·λ₁. Signs are
 * fixed: the entry of largest magnitude of each component is positive.
 *
 * @example
 * ```ts
 * import { fitPca, projectPca } from "./pca.ts";
 * const x = Float64Array.from({ length: 300 }, (_, i) => Math.sin(i * 1.3) * (i % 3 + 1));
 * const pca = fitPca(x, 100, 3, 2);
 * const scores = projectPca(pca, x, 100); // [100, 2] row-major
 * console.log(pca.variance.length, scores.length); // 2 200
 * ```
 * @module
 */
import { Random } from "../util/random.ts";

/** A fitted PCA. */
export interface Pca {
  /** Input dimension. */
  d: number;
  /** Number of components. */
  k: number;
  /** Column means of the fitting rows [d]. */
  mean: Float64Array;
  /** Orthonormal components, row-major [k, d], by decreasing variance. */
  components: Float64Array;
  /** Variance along each component (the covariance's eigenvalues, population) [k]. */
  variance: Float64Array;
  /** Subspace iterations run and the largest relative residual ‖C v − λ v‖ / λ₁ at the end. */
  iterations: number;
  residual: number;
}

/** Options of {@link fitPca}. */
export interface PcaOptions {
  /** Extra basis vectors beyond k (faster convergence). */
  oversample?: number;
  maxIterations?: number;
  /** Relative residual at which the iteration stops. */
  tol?: number;
}

/** The population covariance [d, d] and the column means of row-major `x` [n, d]. */
export function covariance(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2 || x.length !== n * d) throw new Error(`Cannot compute a covariance: expected at least 2 rows of ${d} values, got ${x.length} values`);
  const shift = new Float64Array(d).fill(Infinity), mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    const v = x[i * d + j];
    if (!Number.isFinite(v)) throw new Error(`Cannot compute a covariance: row ${i}, column ${j} is ${v}`);
    if (v < shift[j]) shift[j] = v;
  }
  const acc = new Float64Array(d * d), z = new Float64Array(d), nz = new Int32Array(d);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j] - shift[j];
      mean[j] += v;
      if (v !== 0) {
        z[m] = v;
        nz[m++] = j;
      }
    }
    for (let p = 0; p < m; p++) {
      const za = z[p], row = nz[p] * d;
      for (let q = p; q < m; q++) acc[row + nz[q]] += za * z[q];
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = acc[a * d + b] / n - mean[a] * mean[b];
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  for (let j = 0; j < d; j++) mean[j] += shift[j];
  return { mean, cov };
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi): values descending, vectors as columns of V [p, p]. */
export function symmetricEigen(a: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a), v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < p; i++) {
      diag += m[i * p + i] ** 2;
      for (let j = i + 1; j < p; j++) off += m[i * p + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = m[i * p + j];
        if (aij === 0) continue;
        const theta = (m[j * p + j] - m[i * p + i]) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < p; k++) {
          const mki = m[k * p + i], mkj = m[k * p + j];
          m[k * p + i] = c * mki - s * mkj;
          m[k * p + j] = s * mki + c * mkj;
        }
        for (let k = 0; k < p; k++) {
          const mik = m[i * p + k], mjk = m[j * p + k];
          m[i * p + k] = c * mik - s * mjk;
          m[j * p + k] = s * mik + c * mjk;
        }
        for (let k = 0; k < p; k++) {
          const vki = v[k * p + i], vkj = v[k * p + j];
          v[k * p + i] = c * vki - s * vkj;
          v[k * p + j] = s * vki + c * vkj;
        }
      }
    }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => m[y * p + y] - m[x * p + x] || x - y);
  const values = Float64Array.from(order, (i) => m[i * p + i]);
  const vectors = new Float64Array(p * p);
  order.forEach((src, dst) => {
    for (let k = 0; k < p; k++) vectors[k * p + dst] = v[k * p + src];
  });
  return { values, vectors };
}

/** C·q for each basis vector. */
function multiply(cov: Float64Array, d: number, basis: Float64Array[]): Float64Array[] {
  return basis.map((q) => {
    const out = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let s = 0;
      const row = a * d;
      for (let b = 0; b < d; b++) s += cov[row + b] * q[b];
      out[a] = s;
    }
    return out;
  });
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Modified Gram–Schmidt, twice ("twice is enough"); a vector that vanishes is replaced by a fresh one. */
function orthonormalise(basis: Float64Array[], rng: Random): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < basis.length; j++) {
      const v = basis[j];
      for (let i = 0; i < j; i++) {
        const r = dot(basis[i], v);
        for (let t = 0; t < v.length; t++) v[t] -= r * basis[i][t];
      }
      const norm = Math.sqrt(dot(v, v));
      if (!(norm > 1e-300)) {
        for (let t = 0; t < v.length; t++) v[t] = rng.normal();
        j--;
        continue;
      }
      for (let t = 0; t < v.length; t++) v[t] /= norm;
    }
  }
}

/**
 * The leading `k` principal components of row-major `x` [n, d] (population covariance).
 * Deterministic; throws when k exceeds d or the data has fewer than two rows.
 */
export function fitPca(x: ArrayLike<number>, n: number, d: number, k: number, o: PcaOptions = {}): Pca {
  if (!Number.isInteger(k) || k < 1 || k > d) throw new Error(`Cannot fit a PCA: 'components' must be a whole number in 1..${d}, got ${k}`);
  const { mean, cov } = covariance(x, n, d);
  const p = Math.min(d, k + (o.oversample ?? 10)), maxIter = o.maxIterations ?? 1000, tol = o.tol ?? 1e-9;
  const rng = new Random(0x9ca);
  let basis: Float64Array[] = Array.from({ length: p }, () => Float64Array.from({ length: d }, () => rng.normal()));
  orthonormalise(basis, rng);
  let values: Float64Array = new Float64Array(p), residual = Infinity, iter = 0;
  while (iter < maxIter) {
    for (let inner = 0; inner < 4 && iter < maxIter; inner++, iter++) {
      basis = multiply(cov, d, basis);
      orthonormalise(basis, rng);
    }
    // Rayleigh–Ritz: rotate the basis onto the eigenvectors of Qᵀ C Q.
    const cq = multiply(cov, d, basis), small = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) small[i * p + j] = dot(basis[i], cq[j]);
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) small[i * p + j] = small[j * p + i] = (small[i * p + j] + small[j * p + i]) / 2;
    const eig = symmetricEigen(small, p);
    values = eig.values;
    const rotate = (vs: Float64Array[]) =>
      Array.from({ length: p }, (_, j) => {
        const out = new Float64Array(d);
        for (let i = 0; i < p; i++) {
          const w = eig.vectors[i * p + j];
          if (w !== 0) for (let t = 0; t < d; t++) out[t] += w * vs[i][t];
        }
        return out;
      });
    const cRot = rotate(cq);
    basis = rotate(basis);
    const scale = Math.max(Math.abs(values[0]), Number.MIN_VALUE);
    residual = 0;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (cRot[j][t] - values[j] * basis[j][t]) ** 2;
      residual = Math.max(residual, Math.sqrt(s) / scale);
    }
    if (residual <= tol) break;
  }
  const components = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    const v = basis[j];
    let best = 0;
    for (let t = 1; t < d; t++) if (Math.abs(v[t]) > Math.abs(v[best]) + 1e-15) best = t;
    const sign = v[best] < 0 ? -1 : 1;
    for (let t = 0; t < d; t++) components[j * d + t] = sign * v[t];
  }
  return { d, k, mean, components, variance: values.slice(0, k).map((v) => Math.max(v, 0)), iterations: iter, residual };
}

/** Scores [n, k] (row-major, Float32) of rows `x` [n, d]: (x − mean)·componentsᵀ. */
export function projectPca(pca: Pick<Pca, "d" | "k" | "mean" | "components">, x: ArrayLike<number>, n: number): Float32Array {
  const { d, k, mean, components } = pca;
  if (x.length !== n * d) throw new Error(`Cannot project onto the PCA: expected ${n} rows of ${d} values, got ${x.length} values`);
  const out = new Float32Array(n * k), row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) row[t] = x[i * d + t] - mean[t];
    for (let j = 0; j < k; j++) {
      let s = 0;
      const off = j * d;
      for (let t = 0; t < d; t++) s += row[t] * components[off + t];
      out[i * k + j] = s;
    }
  }
  return out;
}
