/**
 * ADELM end to end on a set of minima (SPEC §4.2–5): α (a number, chosen automatically from the
 * critical-α spectrum of neighbouring pairs, or by the critical-magnetisation search of one
 * pair), basins of attraction by attraction diffusion, the barrier matrix between basin
 * representatives and the single-linkage disconnectivity tree, as one typed
 * {@link BasinClusterResult}; {@link basinsFile} is its `basins.json` form
 * (`lib/artifacts/basins_file.ts`) and {@link basinClusterMetrics} its metrics. The
 * `basin-cluster` task reads the minima, calls {@link clusterBasins} and writes both.
 *
 * @example
 * ```ts ignore
 * const config = basinClusterSchema.parse({ energy: { kind: "analytic", wells: [{ center: [0, 0] }, { center: [3, 0] }] } });
 * const result = await clusterBasins(minima, energies, config, { seed: 1, log, progress, signal, makeExecutor: async () => localExecutor(energy) });
 * console.log(result.basins.length, result.tree.roots);
 * ```
 * @module
 */
import { z } from "zod";
import type { Logger, Progress } from "../task.ts";
import { energySourceSchema } from "./energy_source.ts";
import { attractionSchema, autoAlphaSchema, executionSchema } from "./config.ts";
import type { Executor } from "./executor.ts";
import type { AttractionParams } from "./attraction.ts";
import { type ClusterResult, clusterMinima } from "./cluster.ts";
import { barrierMatrix, type BarrierResult, nearestPairs } from "./barriers.ts";
import { type DisconnectivityTree, disconnectivityTree } from "./disconnectivity.ts";
import { type CriticalAlphaResult, criticalAlpha } from "./critical_alpha.ts";
import { autoAlpha, type AutoAlphaResult } from "./auto_alpha.ts";
import { distance } from "./energy.ts";
import { distanceStats, median } from "./stats.ts";
import { tallyAcceptance } from "./acceptance.ts";
import type { BasinsFileContent } from "../artifacts/basins_file.ts";

/** Config of a basin clustering (the `basin-cluster` task's config). */
export const basinClusterSchema = z.object({
  seed: z.number().int().optional(),
  energy: energySourceSchema,
  /** Upstream step (task name or id) whose `minima.safetensors` is clustered. */
  minima_from: z.string().default("metastable-search"),
  ad: attractionSchema.prefault({}),
  /** Original ADELM: up to 10 candidate basins, 3 repetitions. */
  max_candidates: z.number().int().positive().default(10),
  reps: z.number().int().positive().default(3),
  /** Cap on basins; later minima failing everywhere are reported as unassigned. */
  max_basins: z.number().int().positive().default(64),
  barrier: z
    .object({
      /** Original ADELM: 15 nearest representatives. */
      k: z.number().int().positive().default(15),
      reps: z.number().int().positive().default(3),
      /**
       * AD overrides for barrier estimation. Representatives are by construction not connected
       * at the clustering α, so barriers need a stronger pull (default 4× α; with `ad.alpha: auto`
       * at least 1.5× the largest critical α of the calibration pairs) — and a smaller step
       * (default ε/2) so the larger drift does not jump over saddles.
       */
      alpha: z.number().positive().optional(),
      step_size: z.number().positive().optional(),
      temperature: z.number().positive().optional(),
      /**
       * Steps per barrier trial. `auto` (default): three times what the farthest barrier pair
       * needs under the magnet alone, 3 · distance / ((ε²/2)·α), since the energy's own
       * gradient slows the climb out of a well (on the 2-D test wells 1.3× did not suffice,
       * 2× did); never fewer than `ad.max_steps` and at most 10× it (a warning says when that
       * cap binds). A trial that cannot travel the distance fails whatever the barrier, and an
       * unconnected pair leaves the disconnectivity tree with one root per basin.
       */
      max_steps: z.union([z.literal("auto"), z.number().int().positive()]).default("auto"),
    })
    .prefault({}),
  critical_alpha: z
    .object({
      enabled: z.boolean().default(false),
      /** Starting α (default: ad.alpha). */
      start: z.number().positive().optional(),
      factor: z.number().gt(1).default(1.05),
      max_iters: z.number().int().positive().default(200),
      reps: z.number().int().positive().default(3),
      /** Clustering uses α = scale · α_critical. */
      scale: z.number().positive().default(1),
      /** Calibration pair (minimum indices); default: the lowest minimum and the nearest minimum farther than 4δ. */
      pair: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).optional(),
    })
    .prefault({}),
  /** Used when `ad.alpha` is "auto". */
  auto_alpha: autoAlphaSchema.prefault({}),
  execution: executionSchema.prefault({}),
});

/** A validated basin-clustering config. */
export type BasinClusterConfig = z.output<typeof basinClusterSchema>;

/**
 * Default barrier α: 4× the clustering α; with auto α also at least 1.5× the largest critical α
 * measured, so that every calibration pair — and representatives separated like them — connects.
 */
function barrierAlpha(alpha: number, auto: AutoAlphaResult | null): number {
  const criticals = auto ? auto.pairs.map((p) => p.alpha).filter((v): v is number => v !== null && Number.isFinite(v)) : [];
  return Math.max(4 * alpha, ...criticals.map((v) => 1.5 * v));
}

/** What a clustering run reports to and needs from its caller. */
export interface BasinClusterEnv {
  seed: number;
  log: Pick<Logger, "info" | "warn">;
  progress: Pick<Progress, "update">;
  signal: AbortSignal;
  /** Builds the executor (called once the config is checked: it may load a checkpoint). */
  makeExecutor: () => Promise<Executor>;
}

/** One basin as reported: representative, its energy, members with their energies and barriers. */
export interface BasinRecord {
  id: number;
  representative: number;
  energy: number;
  size: number;
  members: { index: number; energy: number; barrier: number | null }[];
}

/** Everything a clustering run found, typed. */
export interface BasinClusterResult {
  /** Number of minima clustered, their energies and distance statistics. */
  n: number;
  energies: number[];
  distances: { medianPair: number; medianNearest: number };
  /** δ used (resolved from "auto"). */
  delta: number;
  /** AD parameters of the clustering trials (α resolved) and of the barrier trials. */
  ad: AttractionParams;
  barrierAd: AttractionParams;
  auto: AutoAlphaResult | null;
  critical: { pair: [number, number]; alpha: number | null; history: CriticalAlphaResult["history"] } | null;
  clustered: ClusterResult;
  basins: BasinRecord[];
  barriers: BarrierResult;
  tree: DisconnectivityTree;
  /** Mean MH acceptance of the clustering and of the barrier trials (null under ULA). */
  acceptRate: number | null;
  barrierAcceptRate: number | null;
}

/**
 * Clusters `minima` (with their `energies`) into basins, estimates barriers and builds the tree.
 */
export async function clusterBasins(minima: Float32Array[], energies: number[], config: BasinClusterConfig, env: BasinClusterEnv): Promise<BasinClusterResult> {
  const n = minima.length;
  if (n === 0) throw new Error("Cannot cluster minima: there are none");
  const dist = distanceStats(minima);
  const delta = config.ad.delta === "auto" ? 0.025 * dist.medianPair : config.ad.delta;
  if (!(delta > 0)) throw new Error(`Cannot set 'ad.delta' automatically: the median distance between minima is ${dist.medianPair}; set it explicitly`);
  const a = config.ad;
  if (a.alpha === "auto" && config.critical_alpha.enabled) {
    throw new Error("Cannot read config 'ad.alpha': \"auto\" and 'critical_alpha.enabled' both choose α; use one");
  }
  const alphaStart = a.alpha === "auto" ? (config.auto_alpha.start ?? 1 / a.temperature) : a.alpha;
  let ad: AttractionParams = { temperature: a.temperature, stepSize: a.step_size, alpha: alphaStart, delta, patience: a.patience, maxSteps: a.max_steps, clamp: a.clamp, sampler: a.sampler };
  const baseExecutor = await env.makeExecutor();
  // MH acceptance of the clustering trials (auto/critical α included) and of the barrier trials, apart: they use different ε and α.
  const acceptance = tallyAcceptance(baseExecutor), barrierAcceptance = tallyAcceptance(baseExecutor);
  const executor = acceptance.executor;
  env.log.info(`basin-cluster: ${n} minima, δ = ${delta.toPrecision(4)}, executor ${executor.name}, AD sampler ${a.sampler}`);

  let auto: AutoAlphaResult | null = null;
  if (a.alpha === "auto") {
    const c = config.auto_alpha;
    auto = await autoAlpha(minima, energies, executor, {
      ad, minSeparation: c.separation * delta, maxPairs: c.pairs, start: alphaStart, factor: c.factor, expand: c.expand, maxRounds: c.max_rounds,
      reps: c.reps, seed: env.seed, signal: env.signal, success: a.success,
      rule: c.rule === "gap" ? { kind: "gap", low: c.range[0], high: c.range[1], minGap: c.min_gap, q: c.q } : { kind: "quantile", q: c.q },
      onProgress: (round, active) => env.progress.update(round, c.max_rounds, `auto-α rounds (${active} pairs searching)`),
    });
    ad = { ...ad, alpha: auto.alpha };
    const crit = auto.pairs.map((p) => (p.alpha === null ? "?" : p.alpha.toPrecision(3))).join(", ");
    env.log.info(
      `auto α = ${auto.alpha.toPrecision(4)} (pull α·T = ${(auto.alpha * a.temperature).toPrecision(3)}): critical α of ${auto.pairs.length} neighbour pairs [${crit}], ` +
        `${(100 * auto.fractionBelow).toFixed(0)}% below, by the ${auto.used} rule${auto.gapRatio ? ` (widest gap ×${auto.gapRatio.toPrecision(3)})` : ""}; ${auto.trials} trials`,
    );
    const steps = auto.curve.map((p) => `${p.alpha.toPrecision(3)}${p.ratio_to_next === null ? "" : ` ×${p.ratio_to_next.toFixed(2)}${p.in_range ? "" : "(out of range)"}`}`);
    env.log.info(`auto α spectrum (sorted critical α, ×ratio to the next): ${steps.join(" → ")}; ${auto.reason}`);
    const carried = auto.curve.filter((p) => p.landscape_carried).length;
    if (carried > 0) {
      env.log.info(
        `${carried} of ${auto.curve.length} calibration pairs connect even where the magnet alone moves AD less than δ in 'ad.max_steps': ` +
          "the landscape carries one minimum into the other, so they merge at any α",
      );
    }
    const limited = auto.curve.filter((p) => p.travel_limited);
    if (limited.length > 0) {
      // Steps at which the magnet alone carries AD over each limited pair at a quarter of its critical α.
      const needed = Math.ceil(Math.max(...limited.map((p) => (4 * p.distance) / ((a.step_size ** 2 / 2) * p.alpha))));
      env.log.warn(
        `${limited.length} of ${auto.curve.length} calibration pairs connected as soon as AD could travel their distance in 'ad.max_steps' ` +
          `(critical α within ×${(c.factor ** 2).toPrecision(3)} of distance/(max_steps·ε²/2)): their critical α measures max_steps, not a barrier; ` +
          `'ad.max_steps' ≥ ${needed} (now ${a.max_steps}) lets AD travel those pairs at a quarter of their critical α, to see barriers below it`,
      );
    }
  }

  let critical: BasinClusterResult["critical"] = null;
  if (config.critical_alpha.enabled) {
    const c = config.critical_alpha;
    const order = energies.map((_, i) => i).sort((x, y) => energies[x] - energies[y] || x - y);
    const pair: [number, number] = c.pair ?? (() => {
      const low = order[0];
      const far = minima.map((m, i) => ({ i, d: distance(m, minima[low]) })).filter((e) => e.d > 4 * delta).sort((x, y) => x.d - y.d || x.i - y.i);
      if (far.length === 0) throw new Error("Cannot pick a calibration pair for 'critical_alpha': every minimum is within 4δ of the lowest one; set 'critical_alpha.pair'");
      return [low, far[0].i];
    })();
    for (const i of pair) if (i >= n) throw new Error(`Cannot read config 'critical_alpha.pair': minimum ${i} does not exist (${n} minima)`);
    const result = await criticalAlpha(minima[pair[0]], minima[pair[1]], executor, { ad, start: c.start ?? ad.alpha, factor: c.factor, maxIters: c.max_iters, reps: c.reps, seed: env.seed, success: a.success });
    if (result.alpha === null) {
      const h = result.history, outcome = h[0].success ? "succeeded" : "failed";
      throw new Error(
        `Cannot find the critical alpha for pair [${pair}]: AD ${outcome} at every α from ${h[0].alpha.toPrecision(4)} to ${h[h.length - 1].alpha.toPrecision(4)} ` +
          `(${c.max_iters} steps of ×${c.factor}); ${h[0].success ? "lower" : "raise"} 'critical_alpha.start', or if AD fails even at large α make 'ad.step_size' smaller ` +
          "(each step moves by (ε²/2T)·|∇U|, which must stay well below δ)",
      );
    }
    critical = { pair, alpha: result.alpha, history: result.history };
    ad = { ...ad, alpha: c.scale * result.alpha };
    env.log.info(`critical α for minima [${pair}] = ${result.alpha.toPrecision(5)}; clustering with α = ${ad.alpha.toPrecision(5)}`);
  }

  // the two limits that make AD fail regardless of barriers (lib/adelm/config.ts)
  const reach = ad.maxSteps * (ad.stepSize ** 2 / 2) * ad.alpha, thermal = (minima[0].length - 1) / ad.alpha;
  if (reach < dist.medianPair) env.log.warn(`AD can travel at most ${reach.toPrecision(3)} in 'ad.max_steps' (magnet drift (ε²/2)·α per step) — less than the median distance between minima, ${dist.medianPair.toPrecision(3)}`);
  if (thermal > delta) env.log.warn(`The magnet's thermal radius (dim−1)/α = ${thermal.toPrecision(3)} exceeds δ = ${delta.toPrecision(3)}: trials may never settle within δ; lower 'ad.temperature' with ε = √(2T)`);
  const clustered = await clusterMinima(minima, energies, executor, {
    ad, success: a.success, maxCandidates: config.max_candidates, reps: config.reps, maxBasins: config.max_basins, seed: env.seed, signal: env.signal,
    onProgress: (done, total) => env.progress.update(done, total, "minima"),
  });
  const representatives = clustered.basins.map((b) => minima[b.representative]);
  const barrierPairs = nearestPairs(representatives, config.barrier.k);
  const barrierAd: AttractionParams = {
    ...ad,
    alpha: config.barrier.alpha ?? barrierAlpha(ad.alpha, auto),
    stepSize: config.barrier.step_size ?? ad.stepSize / 2,
    temperature: config.barrier.temperature ?? ad.temperature,
  };
  if (config.barrier.max_steps === "auto") {
    const farthest = Math.max(0, ...barrierPairs.map(([i, j]) => distance(representatives[i], representatives[j])));
    const travelSteps = Math.ceil(3 * farthest / ((barrierAd.stepSize ** 2 / 2) * barrierAd.alpha));
    barrierAd.maxSteps = Math.min(10 * ad.maxSteps, Math.max(ad.maxSteps, travelSteps));
    if (travelSteps > barrierAd.maxSteps) {
      env.log.warn(`Barrier trials need ${travelSteps} steps to travel ${farthest.toPrecision(3)} (the farthest barrier pair) but are capped at ${barrierAd.maxSteps} (10 × 'ad.max_steps'); set 'barrier.max_steps' or a larger 'barrier.alpha'`);
    }
  } else {
    barrierAd.maxSteps = config.barrier.max_steps;
  }
  env.log.info(`${clustered.basins.length} basins from ${clustered.trials} AD trials (${clustered.successes} successes); estimating barriers between representatives`);
  const barriers = await barrierMatrix(representatives, barrierAcceptance.executor, { ad: barrierAd, k: config.barrier.k, pairs: barrierPairs, reps: config.barrier.reps, seed: env.seed });
  env.log.info(`barriers: ${barriers.pairs.length} pairs, ${barriers.trials} trials, ${barriers.successes} successes`);
  const acceptRate = acceptance.mean(), barrierAcceptRate = barrierAcceptance.mean();
  for (const [rate, what, field] of [[acceptRate, "clustering", "ad.step_size"], [barrierAcceptRate, "barrier", "barrier.step_size"]] as const) {
    if (rate === null) continue;
    env.log.info(`MH acceptance of ${what} AD proposals: ${(100 * rate).toFixed(1)}% (mean over trials)`);
    if (rate < 0.5) env.log.warn(`MH acceptance of ${what} trials is ${(100 * rate).toFixed(1)}%: rejections stall trials until 'ad.patience' ends them; lower '${field}'`);
  }
  const tree = disconnectivityTree(clustered.basins.map((b) => energies[b.representative]), barriers.matrix);

  const basins = clustered.basins.map((b) => ({
    id: b.id,
    representative: b.representative,
    energy: energies[b.representative],
    size: b.members.length,
    members: b.members.map((m) => ({ index: m.index, energy: energies[m.index], barrier: m.barrier })),
  }));
  return { n, energies, distances: dist, delta, ad, barrierAd, auto, critical, clustered, basins, barriers, tree, acceptRate, barrierAcceptRate };
}

/**
 * The `basins.json` content of a result (`lib/artifacts/basins_file.ts` reads it back).
 *
 * @example
 * ```ts ignore
 * await writeBasinsFile(join(outDir, BASINS_FILE), basinsFile(result, config, seed));
 * ```
 */
export function basinsFile(r: BasinClusterResult, config: BasinClusterConfig, seed: number): BasinsFileContent {
  const { n, ad, barrierAd, auto, critical, clustered, basins, barriers, tree, energies } = r;
  const a = config.ad, dist = r.distances;
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    parameters: {
      seed: seed, n_minima: n, ad, success: a.success, barrier_ad: barrierAd, max_candidates: config.max_candidates, reps: config.reps,
      max_basins: config.max_basins, barrier_k: config.barrier.k, barrier_reps: config.barrier.reps,
      median_pair_distance: dist.medianPair, critical_alpha: critical,
      auto_alpha: auto && {
        ...config.auto_alpha, alpha: auto.alpha, pull: auto.alpha * a.temperature, rule_used: auto.used, reason: auto.reason,
        fraction_below: auto.fractionBelow, gap_ratio: auto.gapRatio, trials: auto.trials, curve: auto.curve, pairs: auto.pairs,
      },
    },
    /** Energy of every minimum, by index into the upstream minima (read by plot-basins). */
    energies,
    basins,
    unassigned: clustered.unassigned,
    barrier_matrix: barriers.matrix.map((r) => r.map(finite)),
    tree: { nodes: tree.nodes.map((t) => ({ ...t })), merges: tree.merges, roots: tree.roots },
  };
}

/**
 * The metrics of a result (`basin-cluster`'s `metrics.json`).
 *
 * @example
 * ```ts ignore
 * await ctx.writeMetrics(basinClusterMetrics(result, config));
 * ```
 */
export function basinClusterMetrics(r: BasinClusterResult, config: BasinClusterConfig): Record<string, number | string | boolean | null> {
  const { n, ad, auto, critical, clustered, basins, barriers, tree, delta, acceptRate, barrierAcceptRate } = r;
  const finiteBarriers = barriers.pairs.map(([i, j]) => barriers.matrix[i][j]).filter(Number.isFinite);
  const trials = clustered.trials + barriers.trials, successes = clustered.successes + barriers.successes;
  const autoCriticals = auto ? auto.pairs.map((p) => p.alpha).filter((v): v is number => v !== null && Number.isFinite(v)) : [];
  return {
    n_minima: n,
    n_basins: basins.length,
    n_unassigned: clustered.unassigned.length,
    basin_size_max: Math.max(...basins.map((b) => b.size)),
    basin_size_median: median(basins.map((b) => b.size)),
    basin_sizes: basins.map((b) => b.size).join(","),
    barrier_pairs: barriers.pairs.length,
    barrier_connected: finiteBarriers.length,
    barrier_min: finiteBarriers.length ? Math.min(...finiteBarriers) : null,
    barrier_median: finiteBarriers.length ? median(finiteBarriers) : null,
    barrier_max: finiteBarriers.length ? Math.max(...finiteBarriers) : null,
    tree_roots: tree.roots.length,
    trials_cluster: clustered.trials,
    trials_barrier: barriers.trials,
    trials,
    success_rate: trials ? successes / trials : null,
    alpha: ad.alpha,
    delta,
    critical_alpha: critical?.alpha ?? null,
    pull: ad.alpha * ad.temperature,
    auto_alpha_pairs: auto ? auto.pairs.length : null,
    auto_alpha_fraction_below: auto ? auto.fractionBelow : null,
    auto_alpha_gap_ratio: auto ? auto.gapRatio : null,
    auto_alpha_rule_used: auto ? auto.used : null,
    auto_alpha_critical_min: autoCriticals.length ? Math.min(...autoCriticals) : null,
    auto_alpha_critical_max: autoCriticals.length ? Math.max(...autoCriticals) : null,
    auto_alpha_travel_limited: auto ? auto.curve.filter((p) => p.travel_limited).length : null,
    auto_alpha_landscape_carried: auto ? auto.curve.filter((p) => p.landscape_carried).length : null,
    trials_auto_alpha: auto ? auto.trials : 0,
    ad_sampler: config.ad.sampler,
    ad_accept_rate: acceptRate,
    barrier_accept_rate: barrierAcceptRate,
  };
}
