/**
 * Task `metastable-search` (SPEC §4.1, issue 6): N Langevin chains at a search temperature from a
 * chosen init; each stops when its lowest energy has not improved for `patience` steps or at
 * `max_steps` and returns its lowest-energy state. Outputs `minima.safetensors` (`minima`
 * [N, ...state_shape], `energies` [N], `steps` [N]), `traces.json` (each chain's energy trace)
 * and `metrics.json` (energy and distance scales that guide basin-cluster's δ and α).
 *
 * Inits: `uniform`/`gaussian` noise, `points` listed in the config, or `upstream`: a tensor of an
 * upstream step's safetensors file (data, long-run states, a previous search's minima), rows
 * drawn without replacement by the seed.
 *
 * @example
 * ```yaml
 * - id: search
 *   task: metastable-search
 *   config:
 *     energy: { kind: analytic, wells: [{ center: [0, 0] }, { center: [3, 0], weight: 0.7 }] }
 *     chains: 24
 *     init: { kind: uniform, low: -3, high: 6 }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask, type TaskContext } from "../lib/task.ts";
import { writeJsonAtomic } from "../lib/util/fs.ts";
import { readSafetensors } from "../lib/util/safetensors.ts";
import { MINIMA_FILE, writeMinimaFile } from "../lib/artifacts/minima_file.ts";
import { energySourceSchema } from "../lib/adelm/energy_source.ts";
import { executionSchema, searchSchema } from "../lib/adelm/config.ts";
import { makeExecutor } from "../lib/adelm/make_executor.ts";
import { resolveEnergySource } from "../lib/adelm/resolve_source.ts";
import { Phase, streamRandom, streamSeed } from "../lib/adelm/streams.ts";
import { distanceStats, median } from "../lib/adelm/stats.ts";

const initSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("uniform"), low: z.number().default(-1), high: z.number().default(1) }),
  z.object({ kind: z.literal("gaussian"), mean: z.number().default(0), std: z.number().positive().default(1) }),
  z.object({ kind: z.literal("points"), points: z.array(z.array(z.number())).min(1) }),
  z.object({
    kind: z.literal("upstream"),
    /** Task name or step id of the upstream step. */
    from: z.string(),
    file: z.string().default("minima.safetensors"),
    tensor: z.string().default("minima"),
  }),
]);

const configSchema = z.object({
  seed: z.number().int().optional(),
  energy: energySourceSchema,
  /** Shape of one state; default [dim] for analytic energies, the upstream tensor's row shape otherwise. */
  state_shape: z.array(z.number().int().positive()).optional(),
  chains: z.number().int().positive().default(64),
  init: initSchema.prefault({ kind: "uniform" }),
  search: searchSchema.prefault({}),
  execution: executionSchema.prefault({}),
});

type Config = z.output<typeof configSchema>;

async function initialStates(ctx: TaskContext<Config>): Promise<{ states: Float32Array[]; shape: number[] }> {
  const { init, chains, energy } = ctx.config;
  const analyticDim = energy.kind === "analytic" ? energy.wells[0].center.length : undefined;
  const shapeFromConfig = ctx.config.state_shape ?? (analyticDim ? [analyticDim] : undefined);
  const noiseShape = () => {
    if (!shapeFromConfig) throw new Error("Cannot read config 'state_shape': required for noise inits of a checkpoint energy");
    return shapeFromConfig;
  };
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  switch (init.kind) {
    case "uniform": {
      const shape = noiseShape();
      return { shape, states: Array.from({ length: chains }, (_, c) => streamRandom(ctx.seed, Phase.Search, c, 1).uniformArray(size(shape), init.low, init.high)) };
    }
    case "gaussian": {
      const shape = noiseShape();
      return { shape, states: Array.from({ length: chains }, (_, c) => streamRandom(ctx.seed, Phase.Search, c, 1).normalArray(size(shape), init.mean, init.std)) };
    }
    case "points": {
      const shape = shapeFromConfig ?? [init.points[0].length];
      init.points.forEach((p, i) => {
        if (p.length !== size(shape)) throw new Error(`Cannot read config 'init.points[${i}]': expected ${size(shape)} values, got ${p.length}`);
      });
      return { shape, states: Array.from({ length: chains }, (_, c) => Float32Array.from(init.points[c % init.points.length])) };
    }
    case "upstream": {
      const path = join(ctx.input(init.from).dir, init.file);
      const { tensors } = await readSafetensors(path);
      const t = tensors[init.tensor];
      if (!t) throw new Error(`Cannot read '${path}': no tensor '${init.tensor}' (has ${Object.keys(tensors).join(", ")})`);
      if (t.dtype !== "F32" || t.shape.length < 2) throw new Error(`Cannot read '${path}' tensor '${init.tensor}': expected F32 [N, ...], got ${t.dtype} [${t.shape}]`);
      const shape = t.shape.slice(1), row = size(shape), rows = t.shape[0];
      const order = streamRandom(ctx.seed, Phase.Search, 0, 2).permutation(rows);
      const data = t.data as Float32Array;
      return { shape, states: Array.from({ length: chains }, (_, c) => data.slice(order[c % rows] * row, (order[c % rows] + 1) * row)) };
    }
  }
}

export default defineTask({
  name: "metastable-search",
  description: "Finds metastable states (local minima) of an energy with Langevin chains at a search temperature.",
  config: configSchema,
  usesTensors: true,
  async run(ctx) {
    const { config } = ctx;
    const { states, shape } = await initialStates(ctx);
    const p = config.search;
    const params = { temperature: p.temperature, stepSize: p.step_size, patience: p.patience, maxSteps: p.max_steps, traceEvery: p.trace_every, clamp: p.clamp };
    const source = await resolveEnergySource(config.energy, ctx);
    const executor = await makeExecutor(config.execution, source, ctx.pool, ctx.signal);
    ctx.log.info(`metastable-search: ${states.length} chains of ${shape.join("×")} on ${executor.name}`);
    // One call for all chains: the executor balances chains of unequal length across workers
    // and reports progress itself (each chain has its own stream, so results do not depend on it).
    const jobs = states.map((init, i) => ({ init, seed: streamSeed(ctx.seed, Phase.Search, i) }));
    const results = await executor.search(jobs, params, (done, total) => ctx.progress.update(done, total, "chains"));
    const row = states[0].length, n = results.length;
    const minima = new Float32Array(n * row), energies = new Float32Array(n), steps = new Int32Array(n);
    results.forEach((r, i) => {
      minima.set(r.minimum, i * row);
      energies[i] = r.energy;
      steps[i] = r.steps;
    });
    await writeMinimaFile(join(ctx.outDir, MINIMA_FILE), { minima, energies, steps, stateShape: shape }, ctx.seed);
    await writeJsonAtomic(join(ctx.outDir, "traces.json"), { trace_every: p.trace_every, traces: results.map((r) => r.trace) });
    const all = Array.from(energies), dist = distanceStats(results.map((r) => r.minimum));
    await ctx.writeMetrics({
      chains: n,
      energy_min: Math.min(...all),
      energy_median: median(all),
      energy_max: Math.max(...all),
      energy_spread: Math.max(...all) - Math.min(...all),
      steps_mean: Array.from(steps).reduce((a, b) => a + b, 0) / n,
      stopped_by_patience: results.filter((r) => r.steps < p.max_steps).length / n,
      median_pair_distance: Number.isFinite(dist.medianPair) ? dist.medianPair : null,
      median_nn_distance: Number.isFinite(dist.medianNearest) ? dist.medianNearest : null,
    });
  },
});
