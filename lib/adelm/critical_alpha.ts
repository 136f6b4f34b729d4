/**
 * Critical magnetisation search (SPEC §4): for one pair of minima, find the α at which AD between
 * them just fails. Starting from `start`, if AD succeeds α is divided by `factor` (1.05) until it
 * fails; if it fails α is multiplied by `factor` until it succeeds. The critical α is the smallest
 * succeeding α seen. "Succeeds" = any of `reps` trials in either direction reaches δ (`success`
 * "either", the default), or in each direction (`success` "both", as clustering's rule). Clustering
 * with α below the critical value of a pair keeps the pair in separate basins; above it merges them.
 *
 * @example
 * ```ts ignore
 * import { criticalAlpha } from "./critical_alpha.ts";
 * const { alpha, history } = await criticalAlpha(a, b, executor, { ad, start: 100, factor: 1.05, maxIters: 200, reps: 3, seed: 1 });
 * ```
 * @module
 */
import type { AttractionParams } from "./attraction.ts";
import type { Executor, TrialJob } from "./executor.ts";
import { Phase, streamSeed } from "./streams.ts";
import type { SuccessRule } from "./cluster.ts";

/** Options of {@link criticalAlpha}. */
export interface CriticalAlphaOptions {
  /** AD settings; `alpha` is replaced during the search. */
  ad: AttractionParams;
  start: number;
  factor: number;
  maxIters: number;
  reps: number;
  seed: number;
  success?: SuccessRule;
}

/** Result: the critical α (null when the search hit `maxIters`) and each tried α. */
export interface CriticalAlphaResult {
  alpha: number | null;
  history: { alpha: number; success: boolean; barrier: number | null }[];
}

/** Searches the critical α for AD between states `a` and `b`. */
export async function criticalAlpha(a: Float32Array, b: Float32Array, executor: Executor, options: CriticalAlphaOptions): Promise<CriticalAlphaResult> {
  if (!(options.factor > 1)) throw new Error(`Cannot search the critical alpha: 'factor' must be above 1, got ${options.factor}`);
  if (!(options.start > 0)) throw new Error(`Cannot search the critical alpha: 'start' must be positive, got ${options.start}`);
  const history: CriticalAlphaResult["history"] = [];
  const trial = async (alpha: number, iter: number) => {
    const jobs: TrialJob[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      jobs.push({ start: a, target: b, seed: streamSeed(options.seed, Phase.CriticalAlpha, iter, 0, rep) });
      jobs.push({ start: b, target: a, seed: streamSeed(options.seed, Phase.CriticalAlpha, iter, 1, rep) });
    }
    const results = await executor.attract(jobs, { ...options.ad, alpha });
    const ok = results.filter((r) => r.success);
    const forward = results.some((r, t) => t % 2 === 0 && r.success), backward = results.some((r, t) => t % 2 === 1 && r.success);
    const success = (options.success ?? "either") === "both" ? forward && backward : forward || backward;
    const entry = { alpha, success, barrier: success ? Math.min(...ok.map((r) => r.barrier)) : null };
    history.push(entry);
    return entry.success;
  };
  let alpha = options.start;
  const first = await trial(alpha, 0);
  for (let iter = 1; iter < options.maxIters; iter++) {
    const next = first ? alpha / options.factor : alpha * options.factor;
    const ok = await trial(next, iter);
    if (first && !ok) return { alpha, history };
    if (!first && ok) return { alpha: next, history };
    alpha = next;
  }
  return { alpha: null, history };
}
