/**
 * Training of the joint classifier-EBM (SPEC §6, seed 003) as a {@link TrainingProblem} for the
 * shared loop (`lib/train/loop.ts`: metrics.jsonl, resumable state, stop on non-finite values).
 * Epochs over the training images minus the last `validation_size` (held out), shuffled per epoch,
 * batches of `batch_size` (the last one smaller, as PyTorch's DataLoader). Per iteration:
 * negatives from U(−1, 1) by η Langevin steps (none when the generative weight is 0), then one
 * Adam step on `CE(s_real, y) + w·(mean E(x_real) − mean E(x_sample))`. The loop's `d_t` is the
 * contrastive term, `r_t` the Langevin gradient norm; loss terms and accuracy join metrics.jsonl.
 * At the end of each epoch the validation images are classified and a line goes to epochs.jsonl.
 *
 * Random streams (`lib/train/streams.ts`): epoch e's order from the "batch" stream of its first
 * iteration, initial negatives from "init" and Langevin noise from "langevin" of each iteration.
 *
 * @example
 * ```ts ignore
 * import { HybridTrainingProblem } from "./train.ts";
 * const problem = new HybridTrainingProblem(config, dataset, 123);
 * await runTrainingLoop(problem, { numIters: problem.numIters, ... });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TrainingProblem } from "../train/loop.ts";
import { streamFor } from "../train/streams.ts";
import { gatherRows } from "../train/chains.ts";
import { stateDictTensors, tensorsToStateDict } from "../train/model.ts";
import { createOptimizer, type Optimizer } from "../ebm/optim.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { createMlpClassifier, energyFromLogits, type MlpClassifier } from "../nets/mlp_classifier.ts";
import { firstNonFiniteParam } from "../nets/ops.ts";
import type { TrainHybridConfig } from "./config.ts";
import { hybridLangevin } from "./langevin.ts";
import { hybridLossGrads, type HybridTerms } from "./objective.ts";
import { EPOCH_LOG_FILE, encodeEpochLog, type EpochRecord } from "../artifacts/hybrid_epochs.ts";
import { classify, EpochTotals } from "../train/classifier_epochs.ts";
import { HYBRID_MODEL_FILE, writeHybridModel } from "../artifacts/hybrid_model.ts";
import { NEGATIVES_FILE, writeSampleBatches } from "../artifacts/hybrid_samples.ts";

/** Labelled images as the dataset steps store them: NHWC in [−1, 1]. */
export interface LabelledImages {
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
}

/** The joint classifier-EBM's training problem of `train-hybrid`. */
export class HybridTrainingProblem implements TrainingProblem {
  readonly mlp: MlpClassifier;
  readonly optimizer: Optimizer;
  readonly rowSize: number;
  readonly trainCount: number;
  readonly itersPerEpoch: number;
  readonly numIters: number;
  /** Sums over the current epoch's batches and the closed epochs' records (restored on resume). */
  readonly totals = new EpochTotals();
  lastNegatives: Float32Array | null = null;
  #order: { epoch: number; order: Int32Array } | null = null;

  constructor(readonly config: TrainHybridConfig, readonly data: LabelledImages, readonly seed: number) {
    const [n, h, w, c] = data.shape;
    if (data.labels.length !== n) throw new Error(`Cannot train the hybrid model: the dataset has ${n} images but ${data.labels.length} labels`);
    this.rowSize = h * w * c;
    this.trainCount = n - config.validation_size;
    if (this.trainCount < 1) throw new Error(`Cannot train the hybrid model: validation_size ${config.validation_size} leaves no training images of ${n}`);
    this.itersPerEpoch = Math.ceil(this.trainCount / config.batch_size);
    this.numIters = config.epochs * this.itersPerEpoch;
    for (const y of data.labels) {
      if (y < 0 || y >= config.classes) throw new Error(`Cannot train the hybrid model: config 'classes' is ${config.classes} but the dataset has label ${y}`);
    }
    this.mlp = createMlpClassifier({ inputs: this.rowSize, hidden: config.hidden, classes: config.classes }, seed);
    // The loop owns the learning rate (it passes it to every step).
    this.optimizer = createOptimizer("adam", this.mlp.params, { lr: config.lr });
  }

  get generative(): boolean {
    return this.config.generative_weight > 0;
  }

  /** Training-image indices of iteration `iter`'s batch (epoch order from its first iteration's stream). */
  batchIndices(iter: number): Int32Array {
    const epoch = Math.floor((iter - 1) / this.itersPerEpoch), k = (iter - 1) % this.itersPerEpoch;
    if (this.#order?.epoch !== epoch) {
      this.#order = { epoch, order: streamFor(this.seed, epoch * this.itersPerEpoch + 1, "batch").permutation(this.trainCount) };
    }
    const bs = this.config.batch_size;
    return this.#order.order.subarray(k * bs, Math.min((k + 1) * bs, this.trainCount));
  }

  /** Short-run negatives of iteration `iter` (count rows), with the mean gradient norm. */
  negatives(iter: number, count: number): { states: Float32Array; gradNorm: number } {
    const c = this.config;
    const init = streamFor(this.seed, iter, "init").uniformArray(count * this.rowSize, -1, 1);
    return hybridLangevin((x) => energyFromLogits(this.mlp.logits(x), c.energy_sign), init, [count, this.rowSize], {
      steps: c.langevin_steps,
      alpha: c.langevin_alpha,
      sigma: c.langevin_sigma,
      clamp: c.langevin_clamp,
      rng: streamFor(this.seed, iter, "langevin"),
    });
  }

  iterate(iter: number, lr: number): Promise<{ d_t: number; r_t: number; extra: Record<string, number> }> {
    const c = this.config;
    const idx = this.batchIndices(iter);
    const real = gatherRows(this.data.images, this.rowSize, idx);
    const y = Int32Array.from(idx, (i) => this.data.labels[i]);
    let gradNorm = 0;
    let sample: Float32Array | null = null;
    if (this.generative) {
      const run = this.negatives(iter, idx.length);
      sample = run.states;
      gradNorm = run.gradNorm;
      this.lastNegatives = sample;
    }
    const xReal = tf.tensor2d(real, [idx.length, this.rowSize]);
    const labels = tf.tensor1d(y, "int32");
    const xSample = sample ? tf.tensor2d(sample, [idx.length, this.rowSize]) : null;
    let terms: HybridTerms;
    try {
      const r = hybridLossGrads(this.mlp, xReal, labels, xSample, { sign: c.energy_sign, generativeWeight: c.generative_weight, energyL2: c.energy_l2 });
      terms = r;
      // A non-finite loss must not reach the weights: the loop stops and keeps the last good state.
      if (Number.isFinite(r.loss)) {
        this.optimizer.lr = lr;
        this.optimizer.step(r.grads);
      }
      tf.dispose(Object.values(r.grads));
    } finally {
      tf.dispose([xReal, labels, ...(xSample ? [xSample] : [])]);
    }
    this.totals.add({ loss: terms.loss, ce: terms.ce, gen: terms.gen, accuracy: terms.accuracy, energy_real: terms.energy_real, energy_sample: terms.energy_sample ?? 0, grad_norm: gradNorm });
    if (iter % this.itersPerEpoch === 0 && Number.isFinite(terms.loss)) this.endEpoch(iter);
    const extra: Record<string, number> = { loss: terms.loss, ce: terms.ce, accuracy: terms.accuracy, energy_real: terms.energy_real };
    if (terms.energy_sample !== null) extra.energy_sample = terms.energy_sample;
    return Promise.resolve({ d_t: terms.gen, r_t: gradNorm, extra });
  }

  /** Closes the epoch ending at `iter`: validation, one epochs.jsonl record, fresh sums. */
  endEpoch(iter: number): void {
    const valCount = this.config.validation_size;
    const val = valCount > 0
      ? classify(this.mlp, this.data.images.subarray(this.trainCount * this.rowSize), this.data.labels.subarray(this.trainCount), this.rowSize)
      : null;
    this.totals.close({ epoch: iter / this.itersPerEpoch, iterations: iter, generative: this.generative, val });
  }

  /** The closed epochs' records. */
  get epochs(): EpochRecord[] {
    return this.totals.records;
  }

  async logArtifacts(_iter: number, dir: string): Promise<void> {
    await writeFileAtomic(`${dir}/${EPOCH_LOG_FILE}`, encodeEpochLog(this.epochs));
    if (this.lastNegatives) {
      const [, h, w, ch] = this.data.shape;
      const count = this.lastNegatives.length / this.rowSize;
      await writeSampleBatches(`${dir}/${NEGATIVES_FILE}`, { negatives: { images: this.lastNegatives, shape: [count, h, w, ch] } });
    }
  }

  stateTensors(): Promise<Record<string, NamedTensor>> {
    return Promise.resolve({
      ...stateDictTensors(this.mlp.stateDict(), "model."),
      ...stateDictTensors(this.optimizer.stateDict(), "optim."),
      "optim.step": { dtype: "F64", shape: [1], data: new Float64Array([this.optimizer.stepCount]) },
      ...this.totals.stateTensors(),
    });
  }

  restoreState(tensors: Record<string, NamedTensor>): Promise<void> {
    const source = "the resume checkpoint";
    for (const key of ["optim.step", "epoch_sums", "epochs_json"]) {
      if (!tensors[key]) throw new Error(`Cannot resume from ${source}: tensor '${key}' is missing`);
    }
    this.mlp.loadStateDict(tensorsToStateDict(tensors, "model."), source);
    const rest = Object.fromEntries(Object.entries(tensors).filter(([k]) => k !== "optim.step"));
    this.optimizer.loadStateDict(tensorsToStateDict(rest, "optim."), this.optimizer.lr, Number(tensors["optim.step"].data[0]), source);
    this.totals.restore(tensors, source);
    return Promise.resolve();
  }

  firstNonFiniteWeight(): Promise<string | null> {
    return Promise.resolve(firstNonFiniteParam(this.mlp.params));
  }

  async finish(dir: string): Promise<Record<string, number | string | boolean | null>> {
    await writeHybridModel(`${dir}/${HYBRID_MODEL_FILE}`, this.mlp, { energySign: this.config.energy_sign, seed: this.seed, config: this.config, iteration: this.numIters });
    await this.logArtifacts(this.numIters, dir);
    const last = this.epochs[this.epochs.length - 1];
    return {
      energy_sign: this.config.energy_sign,
      generative_weight: this.config.generative_weight,
      epochs: this.epochs.length,
      iterations_per_epoch: this.itersPerEpoch,
      train_images: this.trainCount,
      validation_images: this.config.validation_size,
      final_train_accuracy: last?.train_accuracy ?? null,
      final_val_accuracy: last?.val_accuracy ?? null,
      final_val_ce: last?.val_ce ?? null,
      final_energy_real: last?.energy_real ?? null,
      final_energy_sample: last?.energy_sample ?? null,
    };
  }
}
