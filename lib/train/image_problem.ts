/**
 * One iteration of the paper's image training (Algorithm 1, SPEC §1) as a {@link TrainingProblem}:
 * positive batch with data noise, negatives from the persistent bank / data / uniform / gaussian,
 * short-run Langevin, d_t with noise-invariant scaling, one optimiser step; plus its logging
 * (short-run grid, bank grid, long-run grid, snapshot checkpoints) and final outputs.
 *
 * @example
 * ```ts ignore
 * import { ImageTrainingProblem } from "./image_problem.ts";
 * const problem = new ImageTrainingProblem(config, dataset, ctx.seed);
 * await runTrainingLoop(problem, { ... });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createNet } from "../nets/net.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { BANK_FILE, CHECKPOINT_FILE, type CheckpointMeta, writeBankFile, writeCheckpoint } from "../artifacts/checkpoint.ts";
import { writeGridPng } from "../data/image_grid.ts";
import type { TrainEbmConfig, InitType } from "./config.ts";
import { NetAndOptimizer, NetProblemState } from "./model.ts";
import { addNoise, distinctIndices, gatherRows, runChains } from "./chains.ts";
import { streamFor } from "./streams.ts";
import type { TrainingProblem } from "./loop.ts";
import type { Random } from "../util/random.ts";

/** Images as stored by the dataset steps: NHWC float32 in [-1, 1]. */
export interface ImageData {
  images: Float32Array;
  shape: [number, number, number, number];
}

/** The image training problem of `train-ebm`. */
export class ImageTrainingProblem extends NetProblemState implements TrainingProblem {
  readonly model: NetAndOptimizer;
  readonly rowSize: number;
  /** States in the persistent bank: `persistent_bank_size`, else one per data image (the paper's). */
  readonly bankSize: number;
  lastNegatives: Float32Array | null = null;

  constructor(readonly config: TrainEbmConfig, readonly data: ImageData, readonly seed: number) {
    super();
    const [n, h, w, c] = data.shape;
    if (h !== config.im_sz || w !== config.im_sz || c !== config.im_ch) {
      throw new Error(`Cannot train: config im_sz ${config.im_sz} / im_ch ${config.im_ch} disagree with the dataset's images ${h}×${w}×${c}`);
    }
    if (config.batch_size > n) throw new Error(`Cannot train: batch_size ${config.batch_size} exceeds the dataset's ${n} images`);
    this.rowSize = h * w * c;
    this.model = new NetAndOptimizer(createNet(config.net_type, { n_c: c, n_f: config.n_f }, seed), config.optimizer_type);
    this.bankSize = config.persistent_bank_size ?? n;
    if (config.batch_size > this.bankSize) {
      throw new Error(`Cannot train: persistent_bank_size ${this.bankSize} is smaller than batch_size ${config.batch_size}`);
    }
    if (config.shortrun_init === "persistent") this.bank = streamFor(seed, 0, "bank-init").uniformArray(this.bankSize * this.rowSize, -1, 1);
  }

  get batchShape(): number[] {
    const [, h, w, c] = this.data.shape;
    return [this.config.batch_size, h, w, c];
  }

  /** Initial chain states by `init` (bank draws also return their indices). */
  initialStates(init: InitType, rng: Random): { states: Float32Array; bankIndices?: Int32Array } {
    const bs = this.config.batch_size, n = this.data.shape[0], size = bs * this.rowSize;
    switch (init) {
      case "persistent": {
        if (!this.bank) throw new Error("Cannot draw from the persistent bank: shortrun_init is not persistent, so there is none");
        const bankIndices = distinctIndices(rng, bs, this.bankSize);
        return { states: gatherRows(this.bank, this.rowSize, bankIndices), bankIndices };
      }
      case "data":
        return { states: addNoise(gatherRows(this.data.images, this.rowSize, distinctIndices(rng, bs, n)), this.config.data_epsilon, rng) };
      case "uniform":
        return { states: rng.uniformArray(size, -1, 1) };
      case "gaussian":
        return { states: rng.normalArray(size) };
    }
  }

  iterate(iter: number, lr: number): Promise<{ d_t: number; r_t: number }> {
    const c = this.config;
    const batchRng = streamFor(this.seed, iter, "batch");
    const pos = addNoise(gatherRows(this.data.images, this.rowSize, distinctIndices(batchRng, c.batch_size, this.data.shape[0])), c.data_epsilon, batchRng);
    const { states, bankIndices } = this.initialStates(c.shortrun_init, streamFor(this.seed, iter, "init"));
    const run = runChains(this.model.net, states, this.batchShape, c.num_shortrun_steps, c.epsilon, streamFor(this.seed, iter, "langevin"));
    if (this.bank && bankIndices) {
      for (let i = 0; i < bankIndices.length; i++) this.bank.set(run.states.subarray(i * this.rowSize, (i + 1) * this.rowSize), bankIndices[i] * this.rowSize);
    }
    this.lastNegatives = run.states;
    const posT = tf.tensor(pos, this.batchShape), negT = tf.tensor(run.states, this.batchShape);
    try {
      const d_t = this.model.step(posT, negT, c.epsilon, lr);
      return Promise.resolve({ d_t, r_t: run.r_t });
    } finally {
      posT.dispose();
      negT.dispose();
    }
  }

  async logArtifacts(iter: number, dir: string): Promise<void> {
    const [, h, w, ch] = this.data.shape;
    const shape = { n: this.config.batch_size, height: h, width: w, channels: ch };
    const tag = String(iter).padStart(6, "0");
    if (this.lastNegatives) await writeGridPng(`${dir}/shortrun/shortrun_${tag}.png`, this.lastNegatives, shape);
    if (this.bank) await writeGridPng(`${dir}/bank/bank_${tag}.png`, this.bank.subarray(0, this.config.batch_size * this.rowSize), shape);
    await writeCheckpoint(`${dir}/checkpoints/net_${tag}.safetensors`, this.model.stateTensors(), this.checkpointMetadata(iter));
    if (this.config.log_longrun && iter % this.config.log_longrun_freq === 0) {
      const rng = streamFor(this.seed, iter, "longrun");
      const { states } = this.initialStates(this.config.longrun_init, rng);
      // gatherRows copied the bank rows: the long run does not touch the bank.
      const run = runChains(this.model.net, states, this.batchShape, this.config.num_longrun_steps, this.config.epsilon, rng);
      await writeGridPng(`${dir}/longrun/longrun_${tag}.png`, run.states, shape);
    }
  }

  /** Shape of the persistent bank as saved: `[bankSize, h, w, c]`. */
  bankShape(): number[] {
    return [this.bankSize, ...this.data.shape.slice(1)];
  }

  checkpointMetadata(iter: number): CheckpointMeta {
    return { iteration: iter, seed: this.seed, config: this.config, net_type: this.config.net_type, n_c: this.config.im_ch, n_f: this.config.n_f };
  }

  async finish(dir: string): Promise<Record<string, number | string | boolean | null>> {
    const meta = this.checkpointMetadata(this.config.num_train_iters);
    await writeCheckpoint(`${dir}/${CHECKPOINT_FILE}`, this.model.stateTensors(), meta);
    if (this.bank) await writeBankFile(`${dir}/${BANK_FILE}`, this.bank, this.bankShape(), meta);
    return { net_type: this.config.net_type, data: this.config.data };
  }
}
