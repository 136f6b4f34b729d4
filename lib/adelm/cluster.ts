/**
 * ADELM basin clustering (SPEC §4.2–3). Minima are visited lowest energy first. Each is tested
 * against the representatives (lowest member) of the `maxCandidates` nearest basins with AD
 * trials in both directions (minimum → representative and back); by rule {@link SuccessRule}
 * `either` (the default, SPEC §4) a candidate succeeds when either direction reaches δ, by rule
 * `both` only when each direction has reached δ (in any repetition so far); its barrier is the
 * lowest path maximum of its successful trials. The minimum joins the successful basin with the
 * lowest barrier (ties: the nearer one). With no success the round is repeated up to `reps` times
 * with fresh streams; then the minimum founds a new basin, or stays unassigned once `maxBasins`
 * basins exist.
 *
 * Why `either` is the default: the representative is the lower minimum, so minimum → representative
 * is the escape from the higher minimum over the saddle, and its critical pull tracks the escape
 * barrier, the quantity a disconnectivity graph merges by. The uphill direction's critical pull
 * is the steepness of the deeper well's wall, the same for every neighbour on that side; `both`
 * therefore splits minima by the depth of the lower one rather than by their barrier, and can
 * keep a minimum with a tiny escape barrier apart while merging a pair with a larger one
 * (tests/adelm/success_rule_test.ts shows such a landscape).
 *
 * @example
 * ```ts ignore
 * import { clusterMinima } from "./cluster.ts";
 * const result = await clusterMinima(minima, energies, executor, { ad, maxCandidates: 10, reps: 3, maxBasins: 64, seed: 1 });
 * result.basins[0].members; // [{ index, barrier }, …]
 * ```
 * @module
 */
import type { AttractionParams, AttractionResult } from "./attraction.ts";
import { distance } from "./energy.ts";
import type { Executor, TrialJob } from "./executor.ts";
import { Phase, streamSeed } from "./streams.ts";

/** A member of a basin and the barrier of the trial that admitted it (null for the founder). */
export interface BasinMember {
  index: number;
  barrier: number | null;
}

/** A basin: its representative (founding, lowest-energy minimum) and members. */
export interface Basin {
  id: number;
  representative: number;
  members: BasinMember[];
}

/**
 * When a pair of minima counts as connected: `either` direction of AD reaching δ (SPEC §4's
 * default), or `both` directions (stricter; see the module docs for why it is not the default).
 */
export type SuccessRule = "either" | "both";

/** Options of {@link clusterMinima}. */
export interface ClusterOptions {
  ad: AttractionParams;
  /** Default "either". */
  success?: SuccessRule;
  maxCandidates: number;
  reps: number;
  maxBasins: number;
  seed: number;
  signal?: AbortSignal;
  /** Called after each minimum with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Outcome of {@link clusterMinima}. */
export interface ClusterResult {
  basins: Basin[];
  /** Minimum index → basin id, or -1 when it stayed unassigned (basin cap reached). */
  assignment: number[];
  unassigned: number[];
  trials: number;
  successes: number;
}

/** Indices 0..n-1 by ascending value (ties by index), so the visiting order is deterministic. */
export function argsortAscending(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
}

/** Groups `minima` into basins of attraction. */
export async function clusterMinima(minima: Float32Array[], energies: number[], executor: Executor, options: ClusterOptions): Promise<ClusterResult> {
  if (minima.length !== energies.length) throw new Error(`Cannot cluster minima: ${minima.length} states but ${energies.length} energies`);
  for (const [name, v] of [["max_candidates", options.maxCandidates], ["reps", options.reps], ["max_basins", options.maxBasins]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`Cannot cluster minima: '${name}' must be a positive whole number, got ${v}`);
  }
  const order = argsortAscending(energies);
  const basins: Basin[] = [];
  const assignment = new Array<number>(minima.length).fill(-1);
  const unassigned: number[] = [];
  let trials = 0, successes = 0, done = 0;
  for (const m of order) {
    options.signal?.throwIfAborted();
    const candidates = basins
      .map((b) => ({ basin: b, dist: distance(minima[m], minima[b.representative]) }))
      .sort((a, b) => a.dist - b.dist || a.basin.id - b.basin.id)
      .slice(0, options.maxCandidates);
    let chosen: { basin: Basin; barrier: number } | null = null;
    // per candidate, the successful trials of each direction over the repetitions so far
    const passed = candidates.map(() => [[], []] as [AttractionResult[], AttractionResult[]]);
    for (let rep = 0; rep < options.reps && candidates.length > 0 && !chosen; rep++) {
      const jobs: TrialJob[] = [];
      for (const { basin } of candidates) {
        const r = minima[basin.representative];
        jobs.push({ start: minima[m], target: r, seed: streamSeed(options.seed, Phase.Cluster, m, basin.id, 0, rep) });
        jobs.push({ start: r, target: minima[m], seed: streamSeed(options.seed, Phase.Cluster, m, basin.id, 1, rep) });
      }
      const results = await executor.attract(jobs, options.ad);
      trials += results.length;
      successes += results.filter((r) => r.success).length;
      candidates.forEach(({ basin }, c) => {
        for (const d of [0, 1]) if (results[2 * c + d].success) passed[c][d].push(results[2 * c + d]);
        const barrier = connectedBarrier(passed[c], options.success ?? "either");
        if (barrier !== null && (!chosen || barrier < chosen.barrier)) chosen = { basin, barrier };
      });
    }
    if (chosen) {
      const { basin, barrier } = chosen as { basin: Basin; barrier: number };
      basin.members.push({ index: m, barrier });
      assignment[m] = basin.id;
    } else if (basins.length < options.maxBasins) {
      basins.push({ id: basins.length, representative: m, members: [{ index: m, barrier: null }] });
      assignment[m] = basins.length - 1;
    } else {
      unassigned.push(m);
    }
    options.onProgress?.(++done, order.length);
  }
  return { basins, assignment, unassigned, trials, successes };
}

/**
 * Barrier of a pair under `rule` from the successful trials of each direction (`[forward,
 * backward]`): the lowest path maximum among them, or null when the pair is not connected.
 */
export function connectedBarrier(byDirection: [AttractionResult[], AttractionResult[]], rule: SuccessRule): number | null {
  const [forward, backward] = byDirection;
  if (rule === "both" && (forward.length === 0 || backward.length === 0)) return null;
  return successfulBarrier([...forward, ...backward]);
}

/** Lowest path maximum among the successful trials, or null when none succeeded. */
export function successfulBarrier(results: AttractionResult[]): number | null {
  let best: number | null = null;
  for (const r of results) if (r.success && (best === null || r.barrier < best)) best = r.barrier;
  return best;
}
