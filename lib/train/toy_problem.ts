/**
 * The paper's toy training (`train_toy.py`, SPEC §1–2) as a {@link TrainingProblem}: fresh toy
 * data every iteration, negatives from the persistent bank (`s_t_0_size` states, U(−1, 1)) or
 * data / uniform / gaussian scaled by `noise_init_factor`, short-run Langevin, one optimiser
 * step; every `log_viz_freq` iterations (and at the end) the landscape on the `viz_res` grid:
 * true density, EBM density exp(−(2/ε²)·f) normalised over the grid, the KDE of
 * `batch_size_kde` short-run samples (worker pool), their logs, and KL(true‖EBM), KL(true‖KDE).
 *
 * Landscape files (`landscape.json`, and `landscapes/landscape_<iter>.json`):
 * `{ iteration, resolution, extent, kl_true_ebm, kl_true_kde, true_density, true_log_density,
 * ebm_density, ebm_log_density, kde_density, kde_log_density }`; each grid row-major with row = y
 * and column = x (both ascending, numpy linspace(−extent, extent, resolution)); densities are per
 * unit area (EBM: grid mass / cell area), logs natural (`lib/artifacts/landscape_file.ts`).
 * Training writes data only: `plot-landscape` draws these files.
 *
 * @example
 * ```ts ignore
 * import { ToyTrainingProblem } from "./toy_problem.ts";
 * const problem = new ToyTrainingProblem(config, ctx.seed, ctx.pool);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createNet } from "../nets/net.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { BANK_FILE, CHECKPOINT_FILE, type CheckpointMeta, writeBankFile, writeCheckpoint } from "../artifacts/checkpoint.ts";
import { LANDSCAPE_FILE, type ToyLandscape, writeLandscapeFile } from "../artifacts/landscape_file.ts";
import type { WorkerPool } from "../pool/pool.ts";
import type { Random } from "../util/random.ts";
import { gridKL, normaliseLogGrid, ToyDistribution, type ToyGrid } from "../data/toy.ts";
import type { InitType, TrainToyConfig } from "./config.ts";
import { NetAndOptimizer, NetProblemState } from "./model.ts";
import { distinctIndices, gatherRows, runChains } from "./chains.ts";
import { streamFor } from "./streams.ts";
import { kdeOnGrid } from "./kde.ts";
import type { TrainingProblem } from "./loop.ts";

/** The paper's toy net: 2-D points in, 32 features in the first hidden layer. */
const TOY_NET_SIZE = { n_c: 2, n_f: 32 };

/** The toy training problem of `train-toy`. */
export class ToyTrainingProblem extends NetProblemState implements TrainingProblem {
  readonly model: NetAndOptimizer;
  readonly toy: ToyDistribution;
  readonly grid: ToyGrid;
  lastLandscape: ToyLandscape | null = null;

  constructor(readonly config: TrainToyConfig, readonly seed: number, readonly pool: WorkerPool) {
    super();
    this.toy = new ToyDistribution(config);
    this.grid = this.toy.grid(config.viz_res);
    this.model = new NetAndOptimizer(createNet("toy", TOY_NET_SIZE, seed), config.optimizer_type);
    if (config.init_type === "persistent") this.bank = streamFor(seed, 0, "bank-init").uniformArray(2 * config.s_t_0_size, -1, 1);
  }

  /** `n` initial states by `init`; bank draws are distinct indices (with replacement if n exceeds the bank). */
  initialStates(init: InitType, n: number, rng: Random): { states: Float32Array; bankIndices?: Int32Array } {
    const f = this.config.noise_init_factor;
    switch (init) {
      case "persistent": {
        const size = this.config.s_t_0_size;
        const bankIndices = n <= size ? distinctIndices(rng, n, size) : rng.indices(n, size);
        return { states: gatherRows(this.bank!, 2, bankIndices), bankIndices };
      }
      case "data":
        return { states: this.toy.sample(n, rng) };
      case "uniform":
        return { states: rng.uniformArray(2 * n, -f, f) };
      case "gaussian":
        return { states: rng.normalArray(2 * n, 0, f) };
    }
  }

  iterate(iter: number, lr: number): Promise<{ d_t: number; r_t: number }> {
    const c = this.config;
    const pos = this.toy.sample(c.batch_size, streamFor(this.seed, iter, "toy-data"));
    const { states, bankIndices } = this.initialStates(c.init_type, c.batch_size, streamFor(this.seed, iter, "init"));
    const run = runChains(this.model.net, states, [c.batch_size, 2], c.num_mcmc_steps, c.epsilon, streamFor(this.seed, iter, "langevin"));
    if (this.bank && bankIndices) for (let i = 0; i < bankIndices.length; i++) this.bank.set(run.states.subarray(2 * i, 2 * i + 2), 2 * bankIndices[i]);
    const posT = tf.tensor(pos, [c.batch_size, 2]), negT = tf.tensor(run.states, [c.batch_size, 2]);
    try {
      return Promise.resolve({ d_t: this.model.step(posT, negT, c.epsilon, lr), r_t: run.r_t });
    } finally {
      posT.dispose();
      negT.dispose();
    }
  }

  /** Computes the landscape and KLs at `iter` (KDE chains do not touch the bank). */
  async landscape(iter: number): Promise<ToyLandscape> {
    const c = this.config, res = c.viz_res;
    const energies = tf.tidy(() => this.model.net.energy(tf.tensor(this.grid.points, [res * res, 2])).dataSync() as Float32Array);
    const scale = c.epsilon > 0 ? 2 / (c.epsilon * c.epsilon) : 1;
    const logits = Float64Array.from(energies, (f) => -scale * f);
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    let z = 0;
    for (const v of logits) z += Math.exp(v - max);
    const logZ = max + Math.log(z);
    const ebmMass = normaliseLogGrid(logits);
    const step = this.grid.xs[1] - this.grid.xs[0], cell = step * step;
    const ebmLog = logits.map((v) => v - logZ - Math.log(cell));

    const rng = streamFor(this.seed, iter, "kde");
    const { states } = this.initialStates(c.init_type, c.batch_size_kde, rng);
    const samples = runChains(this.model.net, states, [c.batch_size_kde, 2], c.num_mcmc_steps, c.epsilon, rng).states;
    const kde = await kdeOnGrid(this.pool, Float64Array.from(samples), this.grid.xs, this.grid.xs, c.kde_bw);
    let kdeSum = 0;
    for (const v of kde) kdeSum += v;
    const kdeMass = kde.map((v) => v / kdeSum);
    return {
      iteration: iter,
      resolution: res,
      extent: this.grid.extent,
      kl_true_ebm: gridKL(this.grid.mass, ebmMass),
      kl_true_kde: gridKL(this.grid.mass, kdeMass),
      true_density: this.grid.density,
      true_log_density: this.grid.logDensity,
      ebm_density: ebmMass.map((m) => m / cell),
      ebm_log_density: ebmLog,
      kde_density: kde,
      kde_log_density: kde.map((v) => Math.log(Math.max(v, Number.MIN_VALUE))),
    };
  }

  async logArtifacts(iter: number, dir: string): Promise<void> {
    const c = this.config;
    const tag = String(iter).padStart(6, "0");
    await writeCheckpoint(`${dir}/checkpoints/net_${tag}.safetensors`, this.model.stateTensors(), this.metadata(iter));
    if (iter % c.log_viz_freq === 0 || iter === c.num_train_iters) {
      const l = await this.landscape(iter);
      this.lastLandscape = l;
      await writeLandscapeFile(`${dir}/landscapes/landscape_${tag}.json`, l);
    }
  }

  metadata(iter: number): CheckpointMeta {
    return { iteration: iter, seed: this.seed, config: this.config, net_type: "toy", n_f: TOY_NET_SIZE.n_f };
  }

  /** Shape of the persistent bank as saved: `[s_t_0_size, 2]`. */
  bankShape(): number[] {
    return [this.config.s_t_0_size, 2];
  }

  async finish(dir: string): Promise<Record<string, number | string | boolean | null>> {
    const last = this.config.num_train_iters;
    const l = this.lastLandscape?.iteration === last ? this.lastLandscape : await this.landscape(last);
    await writeLandscapeFile(`${dir}/${LANDSCAPE_FILE}`, l);
    await writeCheckpoint(`${dir}/${CHECKPOINT_FILE}`, this.model.stateTensors(), this.metadata(last));
    if (this.bank) await writeBankFile(`${dir}/${BANK_FILE}`, this.bank, this.bankShape(), this.metadata(last));
    return { kl_true_ebm: l.kl_true_ebm, kl_true_kde: l.kl_true_kde, toy_type: this.config.toy_type };
  }
}
