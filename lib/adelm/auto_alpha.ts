/**
 * Automatic magnetisation α for ADELM from the critical-α spectrum of neighbouring minima.
 *
 * Why: in image space a single α decides everything (one Fashion-MNIST model: α = 2e4 merged all
 * minima, α = 2616 left 30/40 singletons), and the critical α of one arbitrary pair says nothing
 * about the others. The critical α of a pair is the smallest α at which AD connects it (at T → 0,
 * α·T just exceeds the steepest slope of U on the way over the saddle), so clustering at α merges
 * roughly the pairs whose critical α lies below it. This module measures that spectrum on the
 * nearest-neighbour pairs of the distinct minima and puts α in its widest gap:
 * 1. {@link distinctMinima}: minima in energy order, dropping those within `minSeparation` (4δ) of
 *    a lower kept one (duplicates of one well would otherwise be trivial pairs).
 * 2. {@link calibrationPairs}: each distinct minimum with its nearest distinct neighbour.
 * 3. {@link criticalAlphas}: the SPEC's critical-magnetisation scan ("scale α by `factor` until
 *    AD just fails") run for all pairs at once on one common α grid: α is raised by `expand` from
 *    `start` until every pair connects (or α reaches `maxAlpha`), lowered by `expand` until every
 *    connected pair has failed once, then lowered by `factor` per round through those brackets;
 *    a pair's critical α is the last α that connected it before the first failure. Every round is one executor call
 *    with all active pairs, so a network evaluates them as batches (one Fashion-MNIST VanillaNet
 *    here: 7.2 ms per state alone, 0.96 ms per state in batches of 16) and the pool shares them.
 * 4. {@link chooseAlpha}: sort the critical values; among the split points leaving a fraction in
 *    `[low, high]` of the pairs below, take the widest gap in log α and return its geometric
 *    midpoint (rule `gap`), or the `q` quantile (rule `quantile`). Pairs that never connected
 *    count as +∞. The `[low, high]` range keeps the choice away from all-merged/all-singletons.
 *    A gap narrower than `minGap` (×2) is no gap — a spectrum sampled on a ×1.15 grid with one
 *    trial per direction shows ×1.3–1.5 steps by chance — so the gap rule then falls back to
 *    the `q` quantile (the median: half of the neighbour pairs merge). Measured: the four wells
 *    have a ×14 gap; a Fashion-MNIST VanillaNet's 12 pairs spread over ×9 with no step above ×1.52.
 *
 * @example
 * ```ts ignore
 * import { autoAlpha } from "./auto_alpha.ts";
 * const auto = await autoAlpha(minima, energies, executor, {
 *   ad, minSeparation: 4 * ad.delta, maxPairs: 16, start: 1 / ad.temperature, factor: 1.05, expand: 4,
 *   maxRounds: 40, reps: 1, seed: 1, rule: { kind: "gap", low: 0.2, high: 0.8, minGap: 2, q: 0.5 },
 * });
 * auto.alpha; // α for clusterMinima
 * ```
 * @module
 */
import type { AttractionParams } from "./attraction.ts";
import { distance } from "./energy.ts";
import type { Executor, TrialJob } from "./executor.ts";
import type { SpectrumPoint } from "../artifacts/basins_file.ts";

export type { SpectrumPoint };
import { Phase, streamSeed } from "./streams.ts";
import { argsortAscending, type SuccessRule } from "./cluster.ts";

/** How α is picked from the critical values. */
export type AlphaRule = { kind: "gap"; low: number; high: number; minGap: number; q: number } | { kind: "quantile"; q: number };

/** Options of {@link autoAlpha}. */
export interface AutoAlphaOptions {
  /** AD settings; `alpha` is replaced during the search. */
  ad: AttractionParams;
  /** Minima closer than this to a lower kept minimum count as duplicates (default choice 4δ). */
  minSeparation: number;
  /** At most this many calibration pairs (lowest-energy minima first). */
  maxPairs: number;
  /** First α tried for every pair. */
  start: number;
  /** Ratio of the descending sweep: the resolution of every critical α. */
  factor: number;
  /** Step of the ascending phase, used while some pair has not connected yet. */
  expand: number;
  /** Rounds (all phases) before the sweep stops. */
  maxRounds: number;
  /**
   * Largest α the up phase tries; default unbounded. {@link autoAlpha} sets it where the magnet's
   * drift per step, (ε²/2)·α, reaches twice the largest pair distance: beyond, every step lands
   * on the target and a pair that still fails cannot settle within δ at all (|∇U| there ≳ δ per
   * step), which no α fixes.
   */
  maxAlpha?: number;
  /**
   * Smallest α the down phases try; default 0. {@link autoAlpha} sets it where the magnet alone
   * moves AD less than δ over a whole trial, δ / ((ε²/2)·maxSteps): a pair that still connects
   * below it is carried by the landscape (one minimum drains into the other), so its critical α is
   * reported as the first α tried below the floor instead of halving α for the rest of the rounds,
   * which left no rounds to refine the other pairs.
   */
  minAlpha?: number;
  /**
   * Trials per direction per α; the pair connects at α when a trial reaches δ in either direction
   * (`success` "either", the default) or in each direction (`success` "both").
   */
  reps: number;
  success?: SuccessRule;
  seed: number;
  rule: AlphaRule;
  signal?: AbortSignal;
  onProgress?: (round: number, active: number) => void;
}

/** One calibration pair's search. */
export interface PairCritical {
  pair: [number, number];
  distance: number;
  /**
   * Smallest α that connected the pair before its first failure; Infinity when it never
   * connected; an upper bound (with `below` 0) when it never failed within `maxRounds`.
   */
  alpha: number | null;
  /** Largest α that failed (0 when none failed). */
  below: number;
  /** Each α tried: whether the pair connected (by the success rule), per direction, and the barrier. */
  history: { alpha: number; success: boolean; forward: boolean; backward: boolean; barrier: number | null }[];
}


/** Result of {@link autoAlpha}. */
export interface AutoAlphaResult {
  alpha: number;
  pairs: PairCritical[];
  /** Where the chosen α sits: fraction of resolved pairs whose critical α is below it. */
  fractionBelow: number;
  /** Width of the widest gap in range as a ratio hi/lo (rule gap), or null. */
  gapRatio: number | null;
  /** "gap", or "quantile" (asked for, or the gap rule's fallback when no gap reached `minGap`). */
  used: "gap" | "quantile";
  /** The sorted spectrum, so a reader sees where the gaps are (or that there are none). */
  curve: SpectrumPoint[];
  /** One sentence: which rule chose α and why. */
  reason: string;
  trials: number;
  successes: number;
}

/** Indices of the distinct minima: in energy order, each farther than `minSeparation` from every kept lower one. */
export function distinctMinima(minima: Float32Array[], energies: number[], minSeparation: number): number[] {
  const kept: number[] = [];
  for (const i of argsortAscending(energies)) {
    if (kept.every((k) => distance(minima[i], minima[k]) > minSeparation)) kept.push(i);
  }
  return kept;
}

/** Each of `candidates` (in the given order) with its nearest other candidate; unique unordered pairs, at most `maxPairs`. */
export function calibrationPairs(minima: Float32Array[], candidates: number[], maxPairs: number): { pair: [number, number]; distance: number }[] {
  const seen = new Set<string>(), out: { pair: [number, number]; distance: number }[] = [];
  for (const i of candidates) {
    let best = -1, bestD = Infinity;
    for (const j of candidates) {
      if (j === i) continue;
      const d = distance(minima[i], minima[j]);
      if (d < bestD || (d === bestD && j < best)) [best, bestD] = [j, d];
    }
    if (best < 0) continue;
    const pair: [number, number] = i < best ? [i, best] : [best, i], key = pair.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pair, distance: bestD });
    if (out.length >= maxPairs) break;
  }
  return out;
}

/** Critical α of every pair by one common sweep: up by `expand` until all connect, then down by `factor` until each fails. */
export async function criticalAlphas(
  minima: Float32Array[],
  pairs: { pair: [number, number]; distance: number }[],
  executor: Executor,
  options: Omit<AutoAlphaOptions, "minSeparation" | "maxPairs" | "rule">,
): Promise<{ pairs: PairCritical[]; trials: number; successes: number }> {
  if (!(options.factor > 1)) throw new Error(`Cannot search critical alphas: 'factor' must be above 1, got ${options.factor}`);
  if (!(options.expand > 1)) throw new Error(`Cannot search critical alphas: 'expand' must be above 1, got ${options.expand}`);
  if (!(options.start > 0)) throw new Error(`Cannot search critical alphas: 'start' must be positive, got ${options.start}`);
  // hi: smallest α seen connecting (before any failure below it); lo: largest α seen failing
  const state = pairs.map((p) => ({ ...p, lo: 0, hi: Infinity, history: [] as PairCritical["history"] }));
  let trials = 0, successes = 0, round = 0;
  const test = async (alpha: number, active: typeof state) => {
    options.signal?.throwIfAborted();
    options.onProgress?.(round, active.length);
    const jobs: TrialJob[] = [];
    for (const s of active) {
      const [i, j] = s.pair;
      for (let rep = 0; rep < options.reps; rep++) {
        jobs.push({ start: minima[i], target: minima[j], seed: streamSeed(options.seed, Phase.CriticalAlpha, i, j, round, 0, rep) });
        jobs.push({ start: minima[j], target: minima[i], seed: streamSeed(options.seed, Phase.CriticalAlpha, i, j, round, 1, rep) });
      }
    }
    const results = await executor.attract(jobs, { ...options.ad, alpha });
    const per = 2 * options.reps;
    active.forEach((s, k) => {
      const mine = results.slice(k * per, (k + 1) * per), ok = mine.filter((r) => r.success);
      const forward = mine.some((r, t) => t % 2 === 0 && r.success), backward = mine.some((r, t) => t % 2 === 1 && r.success);
      const connected = (options.success ?? "either") === "both" ? forward && backward : forward || backward;
      trials += per;
      successes += ok.length;
      s.history.push({ alpha, success: connected, forward, backward, barrier: connected ? Math.min(...ok.map((r) => r.barrier)) : null });
      if (connected) s.hi = Math.min(s.hi, alpha);
      else s.lo = Math.max(s.lo, alpha);
    });
    round++;
  };
  // up: until every pair has connected once, or α reaches `maxAlpha`, beyond which a stronger
  // magnet changes nothing (its drift is capped at the distance left)
  const maxAlpha = options.maxAlpha ?? Infinity;
  let alpha = Math.min(options.start, maxAlpha);
  while (round < options.maxRounds) {
    const open = state.filter((s) => s.hi === Infinity && s.lo < alpha);
    if (open.length === 0) break;
    await test(alpha, open);
    if (state.some((s) => s.hi === Infinity)) alpha = Math.min(alpha * options.expand, maxAlpha);
  }
  // coarse down: ÷expand until every connected pair has failed once, so each has a bracket
  // (lo, hi] no wider than ×expand; a start far above the critical values then costs a few rounds
  // instead of log(start/critical)/log(factor). A pair that connects below the floor is done.
  const minAlpha = options.minAlpha ?? 0, open = (s: (typeof state)[number]) => s.hi !== Infinity && s.hi > minAlpha;
  alpha = options.start;
  while (round < options.maxRounds) {
    alpha /= options.expand;
    const unbracketed = state.filter((s) => s.lo === 0 && open(s));
    if (unbracketed.length === 0) break;
    const active = unbracketed.filter((s) => alpha < s.hi);
    if (active.length > 0) await test(alpha, active);
  }
  // fine down: ÷factor from the largest bracket top; each pair stays in the sweep while α lies
  // inside its bracket (lo, hi), so its critical α is the last success before its first failure
  const tops = state.filter(open).map((s) => s.hi);
  alpha = tops.length ? Math.max(...tops) : 0;
  while (round < options.maxRounds && alpha > 0) {
    alpha /= options.factor;
    const active = state.filter((s) => s.lo < alpha && alpha < s.hi && open(s));
    if (active.length === 0) {
      if (state.every((s) => s.lo >= alpha || !open(s))) break;
      continue; // no bracket contains this α: descend to the next one without trials
    }
    await test(alpha, active);
  }
  return {
    pairs: state.map((s) => ({ pair: s.pair, distance: s.distance, below: s.lo, history: s.history, alpha: s.hi })),
    trials,
    successes,
  };
}

/**
 * α from the critical values (Infinity = never connected): rule `gap` takes the geometric midpoint
 * of the widest log gap between consecutive sorted values among the splits that leave a fraction
 * in [low, high] of the values below; rule `quantile` the q quantile (geometric interpolation).
 */
export function chooseAlpha(criticals: number[], rule: AlphaRule): { alpha: number; fractionBelow: number; gapRatio: number | null; used: "gap" | "quantile" } {
  const values = criticals.filter((v) => v > 0).sort((a, b) => a - b);
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) throw new Error(`Cannot choose alpha automatically: no calibration pair connected (${criticals.length} pairs); raise 'auto_alpha.max_rounds' or 'ad.max_steps'`);
  const n = values.length;
  const below = (alpha: number) => values.filter((v) => v < alpha).length / n;
  if (!(rule.q >= 0 && rule.q <= 1)) throw new Error(`Cannot read config 'auto_alpha.q': expected a number in [0, 1], got ${rule.q}`);
  const quantile = (gapRatio: number | null) => {
    const pos = rule.q * (finite.length - 1), k = Math.floor(pos), t = pos - k;
    const alpha = k + 1 < finite.length ? Math.exp((1 - t) * Math.log(finite[k]) + t * Math.log(finite[k + 1])) : finite[k];
    return { alpha, fractionBelow: below(alpha), gapRatio, used: "quantile" as const };
  };
  if (rule.kind === "quantile") return quantile(null);
  if (!(rule.low >= 0 && rule.low <= rule.high && rule.high <= 1)) {
    throw new Error(`Cannot read config 'auto_alpha.range': expected 0 ≤ low ≤ high ≤ 1, got [${rule.low}, ${rule.high}]`);
  }
  if (finite.length < 2) throw new Error(`Cannot choose alpha automatically: the gap rule needs at least 2 connected calibration pairs, got ${finite.length}`);
  let best: { k: number; ratio: number } | null = null;
  for (let k = 0; k + 1 < finite.length; k++) {
    const fraction = (k + 1) / n;
    if (fraction < rule.low || fraction > rule.high) continue;
    const ratio = finite[k + 1] / finite[k];
    if (!best || ratio > best.ratio) best = { k, ratio };
  }
  if (!best) {
    throw new Error(
      `Cannot choose alpha automatically: no split of the ${n} critical values leaves a fraction in [${rule.low}, ${rule.high}] below it; widen 'auto_alpha.range' or use more pairs`,
    );
  }
  if (best.ratio < rule.minGap) return quantile(best.ratio);
  const alpha = Math.sqrt(finite[best.k] * finite[best.k + 1]);
  return { alpha, fractionBelow: below(alpha), gapRatio: best.ratio, used: "gap" };
}

/**
 * The sorted critical-α spectrum with the ratio between neighbours, whether each split is in the
 * gap rule's range (all splits for rule quantile) and whether each value is travel-limited (see
 * {@link SpectrumPoint}; `factor` is the sweep's resolution) or carried by the landscape (connected
 * at or below `minAlpha`, the sweep's floor). `ad.temperature` converts α to the pull α·T.
 */
export function spectrumCurve(
  pairs: PairCritical[],
  rule: AlphaRule,
  ad: Pick<AttractionParams, "temperature" | "stepSize" | "maxSteps">,
  factor: number,
  minAlpha = 0,
): SpectrumPoint[] {
  const drift = (ad.stepSize * ad.stepSize) / 2;
  const resolved = pairs.filter((p): p is PairCritical & { alpha: number } => p.alpha !== null && p.alpha > 0);
  const sorted = [...resolved].sort((a, b) => a.alpha - b.alpha || a.pair[0] - b.pair[0] || a.pair[1] - b.pair[1]);
  const n = sorted.length;
  return sorted.map((p, k) => {
    const next = sorted[k + 1]?.alpha, fraction = (k + 1) / n, travel = p.distance / (ad.maxSteps * drift);
    return {
      pair: p.pair,
      distance: p.distance,
      alpha: p.alpha,
      pull: p.alpha * ad.temperature,
      fraction_below: fraction,
      ratio_to_next: next !== undefined && Number.isFinite(next) && Number.isFinite(p.alpha) ? next / p.alpha : null,
      in_range: rule.kind === "quantile" || (fraction >= rule.low && fraction <= rule.high),
      travel_alpha: travel,
      travel_limited: Number.isFinite(p.alpha) && p.alpha >= travel / (factor * factor) && p.alpha <= travel * factor * factor,
      landscape_carried: p.alpha <= minAlpha,
    };
  });
}

/** One sentence on how α was chosen, for logs and `basins.json`. */
export function explainChoice(chosen: { alpha: number; fractionBelow: number; gapRatio: number | null; used: "gap" | "quantile" }, rule: AlphaRule): string {
  const at = `α = ${chosen.alpha.toPrecision(4)} (${(100 * chosen.fractionBelow).toFixed(0)}% of the pairs below)`;
  if (rule.kind === "quantile") return `${at}: the q = ${rule.q} quantile of the critical values (rule quantile)`;
  if (chosen.used === "gap") return `${at}: the geometric middle of the widest gap in range [${rule.low}, ${rule.high}], ×${chosen.gapRatio!.toPrecision(3)} ≥ min_gap ×${rule.minGap} (rule gap)`;
  return `${at}: the widest step in range [${rule.low}, ${rule.high}] is only ×${chosen.gapRatio!.toPrecision(3)} < min_gap ×${rule.minGap}, so no gap: the q = ${rule.q} quantile instead (rule gap, fallback)`;
}

/**
 * The α below which the magnet alone moves AD less than δ over a whole trial: δ / ((ε²/2)·max_steps).
 * A pair that connects at such an α is carried by the landscape, whatever the magnet does.
 */
export function landscapeFloor(ad: Pick<AttractionParams, "delta" | "stepSize" | "maxSteps">): number {
  return ad.delta / ((ad.stepSize * ad.stepSize) / 2 * ad.maxSteps);
}

/** Distinct minima → calibration pairs → critical α per pair → α by `rule`. */
export async function autoAlpha(minima: Float32Array[], energies: number[], executor: Executor, options: AutoAlphaOptions): Promise<AutoAlphaResult> {
  if (!Number.isInteger(options.maxPairs) || options.maxPairs < 1) throw new Error(`Cannot read config 'auto_alpha.pairs': expected a positive whole number, got ${options.maxPairs}`);
  const distinct = distinctMinima(minima, energies, options.minSeparation);
  const pairs = calibrationPairs(minima, distinct, options.maxPairs);
  if (pairs.length === 0) {
    throw new Error(`Cannot choose alpha automatically: all ${minima.length} minima lie within ${options.minSeparation.toPrecision(3)} (4δ) of each other; set 'ad.alpha' to a number`);
  }
  const drift = options.ad.stepSize ** 2 / 2;
  const maxAlpha = options.maxAlpha ?? (2 * Math.max(...pairs.map((p) => p.distance))) / drift;
  const minAlpha = options.minAlpha ?? landscapeFloor(options.ad);
  const searched = await criticalAlphas(minima, pairs, executor, { ...options, maxAlpha, minAlpha });
  const resolved = searched.pairs.filter((p) => p.alpha !== null).map((p) => p.alpha as number);
  const chosen = chooseAlpha(resolved, options.rule);
  return {
    ...chosen,
    pairs: searched.pairs,
    curve: spectrumCurve(searched.pairs, options.rule, options.ad, options.factor, minAlpha),
    reason: explainChoice(chosen, options.rule),
    trials: searched.trials,
    successes: searched.successes,
  };
}
