/**
 * VERA's joint classifier-EBM (SPEC §7, the seed's `--jem` / `--labels_per_class` runs) as a
 * {@link TrainingProblem} for the shared loop (`lib/train/loop.ts`: metrics.jsonl, resumable
 * state, stop on non-finite values). The model is an MLP classifier (`lib/nets/mlp_classifier.ts`)
 * whose log-density is f(x) = LogSumExp(logits), i.e. JEM's energy E(x) = −LogSumExp(logits); the
 * generator is the seed's large one (noise → 500 × 3, BatchNorm + Softplus → data, then
 * `generator_output`). One iteration is {@link VeraTrainer.iterate} on a data batch plus a
 * labelled batch:
 * - `labels_per_class: 0` (JEM, every training row labelled): the labelled batch IS the data batch;
 * - `labels_per_class: n` (semi-supervised): the seed's labelled subset (`labelledSubset`: a seeded
 *   shuffle, the first n of each class), a batch of min(batch_size, its size) distinct rows of it
 *   per iteration; every training row counts as unlabelled data.
 * `supervised_only: true` is the baseline: the same network, optimiser, schedule, labelled batches
 * and number of updates, trained on `clf_weight`·CE alone ({@link VeraTrainer.supervisedStep}).
 *
 * Epochs run over the training rows in a seeded order (batches of batch_size, the last partial
 * batch dropped, as the seed's loaders; `max_iters` may end the run inside an epoch, whose partial
 * record is then written at the end); at the end of each epoch the validation rows are
 * classified and a line goes to `epochs.jsonl` (`lib/artifacts/hybrid_epochs.ts`, the hybrid's
 * format: train_gen = mean E(x_d) − mean E(x_g), energy_sample = mean E(x_g), grad_norm =
 * mean ‖∇ₓ log p(x_g)‖, train_loss = train_gen + clf_weight·CE, the control terms left out).
 * The final outputs: `model.safetensors` (`lib/artifacts/hybrid_model.ts`, JEM's sign, so
 * `eval-hybrid` reads it like a `train-hybrid` model), `generator.safetensors`
 * (`lib/vera/files.ts`), for images `negatives.safetensors` (generator samples), and metrics:
 * final validation accuracy and, when test rows are given, test accuracy and CE.
 *
 * Random streams (`lib/train/streams.ts`): epoch order from "batch" of the epoch's first
 * iteration, the labelled batch from "init", the generator's draws from "sample".
 *
 * @example
 * ```ts ignore
 * import { VeraClassifierProblem } from "./classifier.ts";
 * const problem = new VeraClassifierProblem(config, { train, val, test: null, d: 784, classes: 10, imageShape: [28, 28, 1] }, seed);
 * await trainInStep(ctx, problem, { numIters: problem.numIters, … });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import type { TrainingProblem } from "../train/loop.ts";
import { streamFor } from "../train/streams.ts";
import { distinctIndices, gatherRows } from "../train/chains.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import type { Random } from "../util/random.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { createMlpClassifier, type MlpClassifier } from "../nets/mlp_classifier.ts";
import { largeGeneratorArch } from "../nets/generator.ts";
import { firstNonFiniteParam } from "../nets/ops.ts";
import { labelledSubset } from "../data/tabular.ts";
import { classify, EpochTotals, type IterationTerms } from "../train/classifier_epochs.ts";
import { EPOCH_LOG_FILE, encodeEpochLog, type EpochRecord } from "../artifacts/hybrid_epochs.ts";
import { HYBRID_MODEL_FILE, writeHybridModel } from "../artifacts/hybrid_model.ts";
import { NEGATIVES_FILE, writeSampleBatches } from "../artifacts/hybrid_samples.ts";
import { VeraGenerator } from "./generator.ts";
import { sigmaRange, VERA_KNOBS } from "./config.ts";
import { type LabelledBatch, VeraTrainer, type VeraModel } from "./trainer.ts";
import { GENERATOR_FILE, writeGeneratorFile } from "./files.ts";

const count = () => z.number().int().positive();

/** Settings of the classifier runs beside the seed's knobs (ours unless the seed has the name). */
export const VERA_CLASSIFIER_FIELDS = {
  /** The seed's `n_epochs`: passes over the training rows. */
  n_epochs: count().default(10),
  /** (ours) Stop after this many iterations even inside an epoch (null: all n_epochs); the cpu budget. */
  max_iters: z.number().int().positive().nullable().default(null),
  /** The seed's `labels_per_class`: 0 = every training row labelled (JEM); n > 0 = semi-supervised. */
  labels_per_class: z.number().int().nonnegative().default(0),
  /** The baseline: the same network on clf_weight·CE of the labelled batches only (no generator). */
  supervised_only: z.boolean().default(false),
  /** Hidden widths of the MLP classifier. */
  hidden: z.array(count()).min(1).default([512, 512, 512]),
  /** Its activation: elu (hybrid-fashion's MLP) or leaky_relu (slope 0.2, the seed's tabular EBM). */
  activation: z.enum(["elu", "leaky_relu"]).default("elu"),
  /** After the generator's last Linear: tanh for images in [−1, 1], none for standardised features. */
  generator_output: z.enum(["none", "tanh"]).default("none"),
  /** Generator samples written to negatives.safetensors (image data only). */
  n_samples_out: count().default(100),
  /** Log and checkpoint every this many iterations (and at every epoch end). */
  log_every: count().default(100),
  /** Number of final iterations whose d_t / r_t are summarised in metrics.json. */
  summary_window: count().default(2000),
  /** On a non-finite loss, energy or weight: `fail` the step, or `stop` there keeping the last good state. */
  on_diverge: z.enum(["fail", "stop"]).default("fail"),
};

/** Config of a classifier run: the seed's knobs (lib/vera/config.ts) and the fields above. */
export const VeraClassifierConfig = z.strictObject({ ...VERA_KNOBS, ...VERA_CLASSIFIER_FIELDS }).refine(...sigmaRange);
export type VeraClassifierConfig = z.output<typeof VeraClassifierConfig>;

/** Labelled rows of `d` values each. */
export interface ClassifierRows {
  x: Float32Array;
  y: Int32Array;
}

/** What the problem trains and evaluates on. */
export interface ClassifierData {
  train: ClassifierRows;
  val: ClassifierRows | null;
  test: ClassifierRows | null;
  d: number;
  classes: number;
  /** [height, width, channels] when rows are images (for the sample file). */
  imageShape?: [number, number, number];
}

/** The joint classifier-EBM as VERA's log-density model: f = LogSumExp(logits). */
export function jemModel(mlp: MlpClassifier): VeraModel {
  return {
    params: mlp.params,
    logits: (x) => mlp.logits(x),
    logp: (x) => tf.tidy(() => tf.logSumExp(mlp.logits(x), 1) as tf.Tensor1D),
  };
}

/** VERA's JEM / semi-supervised training (or its supervised-only baseline). */
export class VeraClassifierProblem implements TrainingProblem {
  readonly mlp: MlpClassifier;
  readonly gen: VeraGenerator;
  readonly trainer: VeraTrainer;
  readonly trainCount: number;
  readonly itersPerEpoch: number;
  readonly numIters: number;
  /** Training-row indices of the labelled subset (null: every row is labelled). */
  readonly labelled: Int32Array | null;
  /** Sums over the current epoch and the closed epochs' records (restored on resume). */
  readonly totals = new EpochTotals();
  #order: { epoch: number; order: Int32Array } | null = null;

  constructor(readonly config: VeraClassifierConfig, readonly data: ClassifierData, readonly seed: number) {
    const c = config, d = data.d;
    this.trainCount = data.train.y.length;
    if (data.train.x.length !== this.trainCount * d) throw new Error(`Cannot train: the training rows hold ${data.train.x.length} values for ${this.trainCount} labels of ${d} features`);
    if (this.trainCount < c.batch_size) throw new Error(`Cannot train: batch_size ${c.batch_size} exceeds the ${this.trainCount} training rows`);
    for (const y of data.train.y) if (y < 0 || y >= data.classes) throw new Error(`Cannot train: label ${y} is outside 0…${data.classes - 1}`);
    this.itersPerEpoch = Math.floor(this.trainCount / c.batch_size);
    this.numIters = Math.min(c.n_epochs * this.itersPerEpoch, c.max_iters ?? Infinity);
    this.mlp = createMlpClassifier({ inputs: d, hidden: c.hidden, classes: data.classes, activation: c.activation }, seed);
    this.gen = new VeraGenerator(largeGeneratorArch(c.noise_dim, d, c.generator_output), c, seed + 1);
    this.trainer = new VeraTrainer(jemModel(this.mlp), this.gen, c, this.itersPerEpoch);
    this.labelled = c.labels_per_class > 0 ? labelledSubset(data.train.y, c.labels_per_class, data.classes, seed) : null;
    if (this.labelled && this.labelled.length < c.labels_per_class * data.classes) {
      throw new Error(`Cannot pick ${c.labels_per_class} labels per class: the training rows have only ${this.labelled.length} for ${data.classes} classes`);
    }
  }

  /** Training-row indices of iteration `iter`'s data batch. */
  batchIndices(iter: number): Int32Array {
    const epoch = Math.floor((iter - 1) / this.itersPerEpoch), k = (iter - 1) % this.itersPerEpoch;
    if (this.#order?.epoch !== epoch) {
      this.#order = { epoch, order: streamFor(this.seed, epoch * this.itersPerEpoch + 1, "batch").permutation(this.trainCount) };
    }
    const bs = this.config.batch_size;
    return this.#order.order.subarray(k * bs, (k + 1) * bs);
  }

  /** Training-row indices of iteration `iter`'s labelled batch. */
  labelledIndices(iter: number, dataIdx: Int32Array): Int32Array {
    if (!this.labelled) return dataIdx;
    const L = this.labelled, k = Math.min(this.config.batch_size, L.length);
    return Int32Array.from(distinctIndices(streamFor(this.seed, iter, "init"), k, L.length), (i) => L[i]);
  }

  iterate(iter: number): Promise<{ d_t: number; r_t: number; extra: Record<string, number> }> {
    const c = this.config, d = this.data.d, rows = this.data.train;
    const idx = this.batchIndices(iter), lidx = this.labelledIndices(iter, idx);
    const xData = tf.tensor2d(gatherRows(rows.x, d, idx), [idx.length, d]);
    const lab: LabelledBatch = {
      x: lidx === idx ? xData : tf.tensor2d(gatherRows(rows.x, d, lidx), [lidx.length, d]),
      labels: tf.tensor1d(Int32Array.from(lidx, (i) => rows.y[i]), "int32"),
    };
    let terms: IterationTerms, out: { d_t: number; r_t: number; extra: Record<string, number> };
    try {
      if (c.supervised_only) {
        const s = this.trainer.supervisedStep(iter - 1, lab);
        const energy = tf.tidy(() => tf.neg(tf.mean(tf.logSumExp(this.mlp.logits(xData), 1))).dataSync()[0]);
        terms = { loss: c.clf_weight * s.ce, ce: s.ce, gen: 0, accuracy: s.train_acc, energy_real: energy, energy_sample: 0, grad_norm: 0 };
        out = { d_t: 0, r_t: 0, extra: { ce: s.ce, accuracy: s.train_acc, energy_real: energy } };
      } else {
        const s = this.trainer.iterate(iter - 1, xData, streamFor(this.seed, iter, "sample"), lab);
        terms = { loss: s.d_t + c.clf_weight * s.ce, ce: s.ce, gen: s.d_t, accuracy: s.train_acc, energy_real: s.energy_data, energy_sample: s.energy_data - s.d_t, grad_norm: s.r_t };
        out = {
          d_t: s.d_t,
          r_t: s.r_t,
          extra: { ce: s.ce, accuracy: s.train_acc, energy_real: s.energy_data, energy_sample: s.energy_data - s.d_t, ent_gn: s.ent_gn, sigma: s.sigma, post_sigma: s.post_sigma },
        };
      }
    } finally {
      tf.dispose([xData, lab.x, lab.labels]);
    }
    this.totals.add(terms);
    if (iter % this.itersPerEpoch === 0 && Object.values(terms).every(Number.isFinite)) this.endEpoch(iter);
    return Promise.resolve(out);
  }

  /** Closes the epoch ending at `iter` (a partial last one under max_iters): validation, one epochs.jsonl record, fresh sums. */
  endEpoch(iter: number, epoch = iter / this.itersPerEpoch): void {
    const val = this.data.val && this.data.val.y.length > 0 ? classify(this.mlp, this.data.val.x, this.data.val.y, this.data.d) : null;
    this.totals.close({ epoch, iterations: iter, generative: !this.config.supervised_only, val });
  }

  /** The closed epochs' records. */
  get epochs(): EpochRecord[] {
    return this.totals.records;
  }

  async logArtifacts(_iter: number, dir: string): Promise<void> {
    await writeFileAtomic(`${dir}/${EPOCH_LOG_FILE}`, encodeEpochLog(this.epochs));
  }

  stateTensors(): Promise<Record<string, NamedTensor>> {
    return Promise.resolve({ ...this.trainer.stateTensors(), ...this.totals.stateTensors() });
  }

  restoreState(t: Record<string, NamedTensor>): Promise<void> {
    this.totals.restore(t, "the resume checkpoint");
    this.trainer.restore(t, "the resume checkpoint");
    return Promise.resolve();
  }

  firstNonFiniteWeight(): Promise<string | null> {
    return Promise.resolve(firstNonFiniteParam([...this.mlp.params, ...this.gen.params]));
  }

  /** `n` generator samples (batch statistics, as the seed draws them; running statistics untouched). */
  generatorSamples(n: number, rng: Random): Float32Array {
    const d = this.data.d, out = new Float32Array(n * d), b = this.config.batch_size;
    for (let s = 0; s < n; s += b) {
      const m = Math.max(Math.min(b, n - s), 2);
      // The tensor leaves the tidy, not its values: tidy walks a returned array element by element.
      const t = tf.tidy(() => {
        const h = tf.tensor2d(rng.normalArray(m * this.gen.arch.noiseDim), [m, this.gen.arch.noiseDim]);
        const xi = tf.tensor2d(rng.normalArray(m * d), [m, d]);
        const mu = this.gen.net.forward(h, { training: true, updateStats: false });
        return tf.add(mu, tf.mul(xi, tf.exp(this.gen.logsigma.variable)));
      });
      out.set((t.dataSync() as Float32Array).subarray(0, Math.min(b, n - s) * d), s * d);
      t.dispose();
    }
    return out;
  }

  async finish(dir: string): Promise<Record<string, number | string | boolean | null>> {
    const c = this.config, d = this.data.d;
    await writeHybridModel(`${dir}/${HYBRID_MODEL_FILE}`, this.mlp, { energySign: "jem", seed: this.seed, config: c, iteration: this.numIters });
    if (!c.supervised_only) {
      await writeGeneratorFile(`${dir}/${GENERATOR_FILE}`, this.gen, { seed: this.seed, config: c });
      if (this.data.imageShape) {
        const [h, w, ch] = this.data.imageShape, n = c.n_samples_out;
        const images = this.generatorSamples(n, streamFor(this.seed, 0, "sample"));
        await writeSampleBatches(`${dir}/${NEGATIVES_FILE}`, { negatives: { images, shape: [n, h, w, ch] } });
      }
    }
    if (this.totals.pending > 0) this.endEpoch(this.numIters, this.epochs.length + 1);
    await this.logArtifacts(this.numIters, dir);
    const last = this.epochs[this.epochs.length - 1];
    const test = this.data.test && this.data.test.y.length > 0 ? classify(this.mlp, this.data.test.x, this.data.test.y, d) : null;
    return {
      method: c.supervised_only ? "supervised-only" : "vera",
      labelled_rows: this.labelled ? this.labelled.length : this.trainCount,
      epochs: this.epochs.length,
      iterations_per_epoch: this.itersPerEpoch,
      train_rows: this.trainCount,
      final_train_accuracy: last?.train_accuracy ?? null,
      final_val_accuracy: last?.val_accuracy ?? null,
      final_val_ce: last?.val_ce ?? null,
      final_energy_real: last?.energy_real ?? null,
      final_energy_sample: last?.energy_sample ?? null,
      test_accuracy: test?.accuracy ?? null,
      test_ce: test?.ce ?? null,
      final_sigma: c.supervised_only ? null : this.gen.sigma(),
    };
  }
}
