/**
 * Barrier matrix between basin representatives (SPEC §4.4): each representative is paired with
 * its `k` nearest others; every pair gets `reps` AD trials in each direction, all independent and
 * run in one executor call. Barrier = the lowest path maximum over successful trials; pairs never
 * tried or never connected stay +∞ (null in JSON).
 *
 * @example
 * ```ts ignore
 * import { barrierMatrix } from "./barriers.ts";
 * const { matrix } = await barrierMatrix(representatives, executor, { ad, k: 15, reps: 3, seed: 1 });
 * ```
 * @module
 */
import type { AttractionParams } from "./attraction.ts";
import { successfulBarrier } from "./cluster.ts";
import { distance } from "./energy.ts";
import type { Executor, TrialJob } from "./executor.ts";
import { Phase, streamSeed } from "./streams.ts";

/** Options of {@link barrierMatrix}. */
export interface BarrierOptions {
  ad: AttractionParams;
  /** Nearest neighbours per representative. */
  k: number;
  /** The pairs to estimate, when the caller already has `nearestPairs(representatives, k)`. */
  pairs?: [number, number][];
  /** Trials per direction per pair. */
  reps: number;
  seed: number;
}

/** Symmetric matrix of barriers (Infinity where unknown) and trial counts. */
export interface BarrierResult {
  matrix: number[][];
  pairs: [number, number][];
  trials: number;
  successes: number;
}

/** The k-nearest-neighbour pairs (i < j) among `states`, sorted. */
export function nearestPairs(states: Float32Array[], k: number): [number, number][] {
  const seen = new Set<string>(), pairs: [number, number][] = [];
  states.forEach((s, i) => {
    const near = states
      .map((t, j) => ({ j, d: j === i ? Infinity : distance(s, t) }))
      .filter((e) => e.j !== i)
      .sort((a, b) => a.d - b.d || a.j - b.j)
      .slice(0, k);
    for (const { j } of near) {
      const pair: [number, number] = i < j ? [i, j] : [j, i];
      const key = pair.join(",");
      if (!seen.has(key)) {
        seen.add(key);
        pairs.push(pair);
      }
    }
  });
  return pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Estimates barriers between the given representative states. */
export async function barrierMatrix(representatives: Float32Array[], executor: Executor, options: BarrierOptions): Promise<BarrierResult> {
  const n = representatives.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(Infinity));
  for (let i = 0; i < n; i++) matrix[i][i] = 0;
  const pairs = options.pairs ?? nearestPairs(representatives, options.k);
  const jobs: TrialJob[] = [];
  for (const [i, j] of pairs) {
    for (let rep = 0; rep < options.reps; rep++) {
      jobs.push({ start: representatives[i], target: representatives[j], seed: streamSeed(options.seed, Phase.Barrier, i, j, 0, rep) });
      jobs.push({ start: representatives[j], target: representatives[i], seed: streamSeed(options.seed, Phase.Barrier, i, j, 1, rep) });
    }
  }
  const results = jobs.length > 0 ? await executor.attract(jobs, options.ad) : [];
  const per = 2 * options.reps;
  pairs.forEach(([i, j], p) => {
    const b = successfulBarrier(results.slice(p * per, (p + 1) * per));
    if (b !== null) matrix[i][j] = matrix[j][i] = b;
  });
  return { matrix, pairs, trials: results.length, successes: results.filter((r) => r.success).length };
}
