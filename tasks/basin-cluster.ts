/**
 * Task `basin-cluster` (SPEC §4.2–5, issue 6): ADELM on the minima of an upstream
 * `metastable-search` — basins of attraction by attraction diffusion, the barrier matrix between
 * basin representatives (k nearest each) and the single-linkage disconnectivity tree.
 * α is a number, or `"auto"`: the critical α of up to 16 neighbouring minima pairs in one sweep,
 * α in the widest gap of that spectrum (`lib/adelm/auto_alpha.ts`; recommended for networks).
 * Alternatively the SPEC's critical-magnetisation search for one pair (α scaled by 1.05 until AD
 * between a calibration pair just fails, `critical_alpha.enabled`). `ad.success` says when a pair
 * is connected: AD reaching δ in `either` direction (SPEC §4, default) or in `both` (see
 * `lib/adelm/config.ts` for why `either` stays the default). `ad.sampler` moves AD chains by
 * unadjusted Langevin (default, as the original code) or by Langevin proposals with a
 * Metropolis–Hastings test (`mh`, SPEC §4.3), whose mean acceptance rates land in the metrics
 * (`ad_accept_rate`, `barrier_accept_rate`); with `mh` keep the per-step magnet drift (ε²/2)·α
 * small against the landscape (barrier trials pull 4× harder: on the 2-D test wells `barrier.step_size`
 * ε/4 accepts 96% where the default ε/2 accepts ~30% and stalls). Outputs `basins.json` (parameters —
 * with auto α, the sorted critical-α spectrum `auto_alpha.curve` and the sentence
 * `auto_alpha.reason` saying which rule chose α — `energies` of all minima, basins with
 * members/representatives/energies, barrier matrix with null = no connection, tree) and
 * `metrics.json` (n_basins, sizes, barrier statistics, trials, success rate).
 *
 * Parameter defaults and how they were chosen: see `lib/adelm/config.ts`.
 *
 * @example
 * ```yaml
 * - id: basins
 *   task: basin-cluster
 *   needs: [search]
 *   config:
 *     energy: { kind: analytic, wells: [{ center: [0, 0] }, { center: [3, 0], weight: 0.7 }] }
 *     ad: { alpha: auto, delta: 0.35 }   # or a number, e.g. 50
 * ```
 * @module
 */
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { MINIMA_FILE, readMinimaFile } from "../lib/artifacts/minima_file.ts";
import { makeExecutor } from "../lib/adelm/make_executor.ts";
import { resolveEnergySource } from "../lib/adelm/resolve_source.ts";
import { basinClusterMetrics, basinClusterSchema, basinsFile, clusterBasins } from "../lib/adelm/basin_cluster.ts";
import { BASINS_FILE, writeBasinsFile } from "../lib/artifacts/basins_file.ts";

export default defineTask({
  name: "basin-cluster",
  description: "Groups metastable states into basins of attraction (ADELM) with barriers and a disconnectivity tree.",
  config: basinClusterSchema,
  usesTensors: true,
  async run(ctx) {
    const { config } = ctx;
    const path = join(ctx.input(config.minima_from).dir, MINIMA_FILE);
    const { rows: minima, energies } = await readMinimaFile(path);
    if (minima.length === 0) throw new Error(`Cannot cluster '${path}': it holds no minima`);
    const result = await clusterBasins(minima, energies, config, {
      seed: ctx.seed,
      log: ctx.log,
      progress: ctx.progress,
      signal: ctx.signal,
      makeExecutor: async () => makeExecutor(config.execution, await resolveEnergySource(config.energy, ctx), ctx.pool, ctx.signal),
    });
    await writeBasinsFile(join(ctx.outDir, BASINS_FILE), basinsFile(result, config, ctx.seed));
    await ctx.writeMetrics(basinClusterMetrics(result, config));
  },
});
