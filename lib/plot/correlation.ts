/**
 * The paper's learning diagnostics (SPEC §2, `plot_diagnostics` in the paper's utils): over the
 * last ≤ `window` iterations, rescale d by √(Σd²/(n−1)) (not centred, sign kept), standardise r
 * (mean, unbiased sd), then cross-correlation of (d, r) at lags −L..L and auto-correlations of
 * each at lags 0..L, each sum divided by (n − 1), with L = min(maxLag, n − 1). Lag ℓ pairs
 * `a[t + ℓ]` with `b[t]` (numpy's `correlate(a, b, 'full')`), so lag-0 auto-correlations are 1.
 *
 * @example
 * ```ts
 * import { diagnosticCorrelations } from "./correlation.ts";
 * const d = Float64Array.from({ length: 500 }, (_, t) => Math.sin(t));
 * const r = Float64Array.from({ length: 500 }, (_, t) => 1 + 0.1 * Math.cos(t));
 * const c = diagnosticCorrelations(d, r);
 * console.log(c.dAuto[0], c.lags.length); // 1, 31
 * ```
 * @module
 */

/** Result of {@link diagnosticCorrelations}. */
export interface DiagnosticCorrelations {
  /** Index of the first iteration used (0-based) and how many were used. */
  start: number;
  count: number;
  /** Lags −L..L of {@link cross}. */
  lags: number[];
  /** corr(d[t+ℓ], r[t]) for each lag. */
  cross: number[];
  /** Lags 0..L of the auto-correlations. */
  autoLags: number[];
  dAuto: number[];
  rAuto: number[];
}

/** Options of {@link diagnosticCorrelations}; defaults are the paper's. */
export interface CorrelationOptions {
  /** Most recent iterations used; default 2000. */
  window?: number;
  /** Largest lag; default 15. */
  maxLag?: number;
}

function lagSum(a: Float64Array, b: Float64Array, lag: number): number {
  let sum = 0;
  const n = a.length;
  if (lag >= 0) for (let t = 0; t + lag < n; t++) sum += a[t + lag] * b[t];
  else for (let t = -lag; t < n; t++) sum += a[t + lag] * b[t];
  return sum;
}

/** Computes the paper's diagnostic correlations of `d` (energy difference) and `r` (gradient magnitude). */
export function diagnosticCorrelations(d: ArrayLike<number>, r: ArrayLike<number>, options: CorrelationOptions = {}): DiagnosticCorrelations {
  const window = options.window ?? 2000;
  const maxLagWanted = options.maxLag ?? 15;
  if (d.length !== r.length) throw new Error(`Cannot compute diagnostics: d_t has ${d.length} values but r_t has ${r.length}`);
  if (d.length < 2) throw new Error(`Cannot compute diagnostics: need at least 2 iterations, got ${d.length}`);
  if (!Number.isInteger(window) || window < 2) throw new Error(`Cannot compute diagnostics: expected 'window' to be a whole number ≥ 2, got ${window}`);
  const start = Math.max(0, d.length - window);
  const n = d.length - start;
  const maxLag = Math.min(maxLagWanted, n - 1);
  const ds = new Float64Array(n), rs = new Float64Array(n);
  let sumSq = 0, mean = 0;
  for (let i = 0; i < n; i++) {
    const dv = d[start + i], rv = r[start + i];
    if (!Number.isFinite(dv) || !Number.isFinite(rv)) throw new Error(`Cannot compute diagnostics: iteration ${start + i} has a non-finite value (d_t=${dv}, r_t=${rv})`);
    sumSq += dv * dv;
    mean += rv;
  }
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (r[start + i] - mean) ** 2;
  // A constant series has no defined correlation; zeros draw as empty bars instead of NaN.
  const dScale = sumSq > 0 ? 1 / Math.sqrt(sumSq / (n - 1)) : 0;
  const rScale = variance > 0 ? 1 / Math.sqrt(variance / (n - 1)) : 0;
  for (let i = 0; i < n; i++) {
    ds[i] = d[start + i] * dScale;
    rs[i] = (r[start + i] - mean) * rScale;
  }
  const lags: number[] = [], cross: number[] = [];
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    lags.push(lag);
    cross.push(lagSum(ds, rs, lag) / (n - 1));
  }
  const autoLags: number[] = [], dAuto: number[] = [], rAuto: number[] = [];
  for (let lag = 0; lag <= maxLag; lag++) {
    autoLags.push(lag);
    dAuto.push(lagSum(ds, ds, lag) / (n - 1));
    rAuto.push(lagSum(rs, rs, lag) / (n - 1));
  }
  return { start, count: n, lags, cross, autoLags, dAuto, rAuto };
}
