/**
 * Summary statistics of the paper's learning diagnostics (SPEC §2): the energy difference d_t
 * and the Langevin gradient magnitude r_t over the last window of iterations.
 *
 * @example
 * ```ts
 * import { summarizeTraining } from "./diagnostics.ts";
 * const s = summarizeTraining([0.1, -0.2, 0.15], [1, 1.1, 0.9], 2000);
 * console.log(s.d_t_mean, s.d_t_lag1_autocorr);
 * ```
 * @module
 */

/** Mean and sample standard deviation (n − 1 denominator; 0 for fewer than 2 values). */
export function meanSd(values: ArrayLike<number>): { mean: number; sd: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

/**
 * Ordinary (centred) sample autocorrelation at `lag`: Σ(xᵢ−x̄)(xᵢ₊ₗ−x̄) / Σ(xᵢ−x̄)².
 * NaN when the series is shorter than lag + 2 or constant.
 */
export function autocorrelation(values: ArrayLike<number>, lag: number): number {
  const n = values.length;
  if (n < lag + 2) return NaN;
  const { mean } = meanSd(values);
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const a = values[i] - mean;
    den += a * a;
    if (i + lag < n) num += a * (values[i + lag] - mean);
  }
  return den > 0 ? num / den : NaN;
}

/**
 * The paper's autocorrelation of d (SPEC §2): d rescaled by its root mean square (not centred,
 * because d oscillating around 0 is the point), Σ dᵢdᵢ₊ₗ / (n − 1).
 */
export function paperAutocorrelationOfD(values: ArrayLike<number>, lag: number): number {
  const n = values.length;
  if (n < lag + 2) return NaN;
  let ms = 0;
  for (let i = 0; i < n; i++) ms += values[i] * values[i];
  ms /= n;
  if (!(ms > 0)) return NaN;
  let num = 0;
  for (let i = 0; i + lag < n; i++) num += values[i] * values[i + lag];
  return num / ms / (n - 1);
}

/** Numbers written to a training step's metrics.json. */
export interface TrainingSummary {
  /** Number of iterations the statistics cover (≤ the window). */
  summary_iters: number;
  d_t_mean: number;
  d_t_sd: number;
  r_t_mean: number;
  r_t_sd: number;
  /** Centred lag-1 autocorrelation of d_t; negative for the stable oscillation of ML learning. */
  d_t_lag1_autocorr: number;
  /** The same at lag 1 with the paper's uncentred RMS scaling (SPEC §2). */
  d_t_lag1_autocorr_paper: number;
}

/** Summarises the last `window` entries of the d_t and r_t series. */
export function summarizeTraining(dSeries: ArrayLike<number>, rSeries: ArrayLike<number>, window: number): TrainingSummary {
  if (dSeries.length !== rSeries.length) {
    throw new Error(`Cannot summarise training: d_t has ${dSeries.length} values but r_t has ${rSeries.length}`);
  }
  const start = Math.max(0, dSeries.length - window);
  const d = Array.from(dSeries).slice(start);
  const r = Array.from(rSeries).slice(start);
  const ds = meanSd(d), rs = meanSd(r);
  return {
    summary_iters: d.length,
    d_t_mean: ds.mean,
    d_t_sd: ds.sd,
    r_t_mean: rs.mean,
    r_t_sd: rs.sd,
    d_t_lag1_autocorr: autocorrelation(d, 1),
    d_t_lag1_autocorr_paper: paperAutocorrelationOfD(d, 1),
  };
}
