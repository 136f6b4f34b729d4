/**
 * The paper's verdicts as rules (issue 19): is ML learning stable, is the MCMC convergent?
 * Pure functions of a run's own numbers; each test reports its value, its threshold and why,
 * so a verdict can be checked by hand. Thresholds live in {@link DiagnosisThresholds}
 * (defaults documented there, chosen from the paper's picture before any run was labelled).
 *
 * Learning (SPEC §2, the slides' "oscillation of expansion and contraction"): over the last
 * `window_fraction` of the iterations, d_t must stay finite, keep returning to 0 (zero
 * crossings), not drift (the mean of the window's second half against its first half, in units
 * of their spread) and not blow up (RMS growth between the halves); r_t must neither explode nor
 * collapse to 0 (mean ratio between the halves). Any failed test makes learning `unstable`.
 *
 * Sampling, toy runs: the EBM density exp(−2f/ε²) against the truth, next to the short-run KDE
 * against the truth — convergent when the EBM density itself is close to the truth and not far
 * worse than its short-run samples. Image runs: the long-run chains against the data (energy
 * drift below the data's energy, saturated pixels, distance to the nearest training image).
 *
 * @example
 * ```ts
 * import { DiagnosisThresholds, learningVerdict } from "./rules.ts";
 * const t = DiagnosisThresholds.parse({});
 * const d = Array.from({ length: 400 }, (_, i) => (i % 2 ? 1 : -1));
 * const r = Array.from({ length: 400 }, () => 0.1);
 * console.log(learningVerdict(d, r, t).label); // "stable"
 * ```
 * @module
 */
import { z } from "zod";

/** One test behind a verdict: what was measured, the threshold it was held to, and why it matters. */
export interface Evidence {
  /** Short name for metrics.json (`<run>.<key>`). */
  key: string;
  test: string;
  value: number | null;
  threshold: number | null;
  passed: boolean;
  why: string;
}

export type LearningLabel = "stable" | "unstable";
export type SamplingLabel = "convergent" | "non-convergent" | "not assessed";

/**
 * Thresholds of every rule, as config fields of the `diagnose` task. Defaults:
 * - `window_fraction` 0.5: the last half of the run is judged (the first half is the transient).
 * - `min_zero_crossings_per_100` 1: d_t changes sign at least once per 100 iterations of the
 *   window ("keeps returning to 0").
 * - `max_d_shift` 3: the window's second-half mean of d_t differs from its first-half mean by at
 *   most 3 pooled standard deviations (no drift).
 * - `max_d_growth` 10: the RMS of d_t grows at most 10× from the first half to the second (no
 *   divergence).
 * - `max_r_growth` 10 / `min_r_ratio` 0.1: the mean of r_t changes by at most 10× up or down
 *   between the halves (no explosion, no collapse to a flat energy).
 * - `toy_max_kl_ebm` 1 nat: KL(true‖EBM density) of a convergent toy model.
 * - `toy_max_kl_ratio` 5: KL(true‖EBM) at most 5× KL(true‖short-run KDE).
 * - `max_energy_drift` 3: the long-run chains' mean energy falls at most 3 standard deviations of
 *   the data's energies below the data's mean energy.
 * - `saturation_level` 0.95 / `max_saturation_excess` 0.1: at most 10 percentage points more
 *   long-run pixels at |x| ≥ 0.95 than in the data.
 * - `max_nearest_ratio` 2: the long-run states' mean distance to their nearest training image is
 *   at most 2× the held-out data's.
 * - `n_reference` 1000: data images used for the data energies and the nearest-image search
 *   (and as many again, when there are, as the held-out set).
 */
export const DiagnosisThresholds = z.strictObject({
  window_fraction: z.number().gt(0).max(1).default(0.5),
  min_zero_crossings_per_100: z.number().nonnegative().default(1),
  max_d_shift: z.number().positive().default(3),
  max_d_growth: z.number().gt(1).default(10),
  max_r_growth: z.number().gt(1).default(10),
  min_r_ratio: z.number().gt(0).lt(1).default(0.1),
  toy_max_kl_ebm: z.number().positive().default(1),
  toy_max_kl_ratio: z.number().gt(1).default(5),
  max_energy_drift: z.number().positive().default(3),
  saturation_level: z.number().gt(0).max(1).default(0.95),
  max_saturation_excess: z.number().min(0).max(1).default(0.1),
  max_nearest_ratio: z.number().gt(1).default(2),
  n_reference: z.number().int().min(2).default(1000),
});
export type DiagnosisThresholds = z.output<typeof DiagnosisThresholds>;

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return x.length ? s / x.length : NaN;
}

function variance(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return x.length > 1 ? s / (x.length - 1) : 0;
}

function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}

/** Number of sign changes of `x` (zeros do not count as a side). */
export function zeroCrossings(x: ArrayLike<number>): number {
  let count = 0, side = 0;
  for (let i = 0; i < x.length; i++) {
    const s = Math.sign(x[i]);
    if (s === 0) continue;
    if (side !== 0 && s !== side) count++;
    side = s;
  }
  return count;
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

/**
 * Learning verdict from the whole d_t and r_t series (iterations in order): `stable` when every
 * test passes over the last `window_fraction` of the run.
 */
export function learningVerdict(dSeries: ArrayLike<number>, rSeries: ArrayLike<number>, t: DiagnosisThresholds): { label: LearningLabel; evidence: Evidence[] } {
  const n = Math.min(dSeries.length, rSeries.length);
  const evidence: Evidence[] = [];
  let firstBad = -1;
  for (let i = 0; i < n && firstBad < 0; i++) if (!Number.isFinite(dSeries[i]) || !Number.isFinite(rSeries[i])) firstBad = i;
  evidence.push({
    key: "first_non_finite_iter", test: "d_t and r_t finite",
    value: firstBad < 0 ? 0 : firstBad + 1,
    threshold: 0,
    passed: firstBad < 0 && n > 0,
    why: n === 0 ? "no iterations were logged"
      : firstBad < 0 ? "no iteration's d_t or r_t is NaN or infinite" : `iteration ${firstBad + 1} logged a non-finite d_t or r_t: training diverged`,
  });
  const windowLength = Math.max(4, Math.floor(n * t.window_fraction));
  if (firstBad >= 0 || n < 8) {
    if (n > 0 && n < 8) evidence.push({ key: "logged_iters", test: "enough iterations", value: n, threshold: 8, passed: false, why: "fewer than 8 logged iterations cannot show an oscillation" });
    return { label: "unstable", evidence };
  }
  const start = n - Math.min(n, windowLength);
  const d = Array.from(dSeries).slice(start, n), r = Array.from(rSeries).slice(start, n);
  const half = Math.floor(d.length / 2);
  const d1 = d.slice(0, half), d2 = d.slice(half), r1 = r.slice(0, half), r2 = r.slice(half);
  const span = `iterations ${start + 1}–${n}`;

  const crossings = zeroCrossings(d) * 100 / d.length;
  evidence.push({
    key: "d_zero_crossings_per_100", test: "d_t zero crossings per 100 iterations",
    value: round(crossings),
    threshold: t.min_zero_crossings_per_100,
    passed: crossings >= t.min_zero_crossings_per_100,
    why: `stable learning alternates expansion and contraction, so d_t keeps returning to 0 (${span})`,
  });
  const pooled = Math.sqrt((variance(d1) + variance(d2)) / 2);
  const shift = pooled > 0 ? Math.abs(mean(d2) - mean(d1)) / pooled : mean(d2) === mean(d1) ? 0 : Infinity;
  evidence.push({
    key: "d_shift", test: "d_t drift (mean shift between window halves, in pooled sds)",
    value: round(shift),
    threshold: t.max_d_shift,
    passed: shift <= t.max_d_shift,
    why: "a d_t that moves away from where it was and does not come back is drifting",
  });
  const rms1 = rms(d1), rms2 = rms(d2);
  const growth = rms1 > 0 ? rms2 / rms1 : rms2 === 0 ? 1 : Infinity;
  evidence.push({
    key: "d_growth", test: "d_t growth (RMS, second half / first half)",
    value: round(growth),
    threshold: t.max_d_growth,
    passed: growth <= t.max_d_growth,
    why: "d_t must stay bounded: a growing swing means the energy difference diverges",
  });
  const m1 = mean(r1), m2 = mean(r2);
  const ratio = m1 > 0 ? m2 / m1 : m2 > 0 ? Infinity : 0;
  evidence.push({
    key: "r_ratio", test: "r_t growth (mean, second half / first half)",
    value: round(ratio),
    threshold: t.max_r_growth,
    passed: ratio <= t.max_r_growth,
    why: "many consecutive expansion updates make the Langevin gradient r_t explode",
  });
  evidence.push({
    key: "r_ratio", test: "r_t collapse (mean, second half / first half)",
    value: round(ratio),
    threshold: t.min_r_ratio,
    passed: ratio >= t.min_r_ratio && m2 > 0,
    why: "many consecutive contraction updates shrink r_t to 0: the energy goes flat",
  });
  return { label: evidence.every((e) => e.passed) ? "stable" : "unstable", evidence };
}

/** Toy sampling verdict from KL(true‖EBM density) and KL(true‖short-run KDE) on the landscape grid. */
export function toySamplingVerdict(klTrueEbm: number, klTrueKde: number, t: DiagnosisThresholds): { label: SamplingLabel; evidence: Evidence[] } {
  const ratio = klTrueKde > 0 ? klTrueEbm / klTrueKde : Infinity;
  const evidence: Evidence[] = [
    {
      key: "kl_true_ebm", test: "KL(true‖EBM density)",
      value: round(klTrueEbm),
      threshold: t.toy_max_kl_ebm,
      passed: klTrueEbm <= t.toy_max_kl_ebm,
      why: "a convergent model's own density exp(−2f/ε²) matches the truth, so long-run MCMC samples do too",
    },
    {
      key: "kl_ratio", test: "KL(true‖EBM density) / KL(true‖short-run KDE)",
      value: round(ratio),
      threshold: t.toy_max_kl_ratio,
      passed: ratio <= t.toy_max_kl_ratio,
      why: `non-convergent learning fits the short-run samples (KL(true‖KDE) = ${round(klTrueKde)}) while the density itself is far off`,
    },
  ];
  return { label: evidence.every((e) => e.passed) ? "convergent" : "non-convergent", evidence };
}

/** What the image sampling rules measure (see `lib/diagnosis/image_evidence.ts`). */
export interface LongrunMeasurements {
  /** Mean and sd of the energy f over the reference data images. */
  dataEnergyMean: number;
  dataEnergySd: number;
  /** Mean energy of the long-run chains' final states. */
  longrunEnergyMean: number;
  /** Fractions of pixels at |x| ≥ saturation_level: long-run final states and data. */
  longrunSaturated: number;
  dataSaturated: number;
  /** Mean L2 distance to the nearest reference training image: long-run states and held-out data. */
  longrunNearest: number;
  dataNearest: number;
}

/** Image sampling verdict from the long-run chains against the data. */
export function imageSamplingVerdict(m: LongrunMeasurements, t: DiagnosisThresholds): { label: SamplingLabel; evidence: Evidence[] } {
  const drift = m.dataEnergySd > 0 ? (m.dataEnergyMean - m.longrunEnergyMean) / m.dataEnergySd : m.longrunEnergyMean < m.dataEnergyMean ? Infinity : 0;
  const excess = m.longrunSaturated - m.dataSaturated;
  const nearest = m.dataNearest > 0 ? m.longrunNearest / m.dataNearest : Infinity;
  const evidence: Evidence[] = [
    {
      key: "energy_drift", test: "long-run energy drift below the data (data energy sds)",
      value: round(drift),
      threshold: t.max_energy_drift,
      passed: Number.isFinite(drift) && drift <= t.max_energy_drift,
      why: `non-convergent models have low-energy regions far from the data that long chains fall into (data ${round(m.dataEnergyMean)} ± ${round(m.dataEnergySd)}, long run ${round(m.longrunEnergyMean)})`,
    },
    {
      key: "saturation_excess", test: `saturated pixels (|x| ≥ ${t.saturation_level}), long run minus data`,
      value: round(excess),
      threshold: t.max_saturation_excess,
      passed: excess <= t.max_saturation_excess,
      why: `non-convergent long-run samples oversaturate (long run ${round(m.longrunSaturated)}, data ${round(m.dataSaturated)})`,
    },
    {
      key: "nearest_ratio", test: "distance to the nearest training image, long run / held-out data",
      value: round(nearest),
      threshold: t.max_nearest_ratio,
      passed: Number.isFinite(nearest) && nearest <= t.max_nearest_ratio,
      why: `realistic long-run samples lie as close to the training images as unseen data does (long run ${round(m.longrunNearest)}, held-out ${round(m.dataNearest)})`,
    },
  ];
  return { label: evidence.every((e) => e.passed) ? "convergent" : "non-convergent", evidence };
}
