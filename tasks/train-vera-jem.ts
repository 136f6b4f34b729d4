/**
 * `train-vera-jem`: VERA's JEM variant (SPEC §7) on labelled images (the upstream dataset step's
 * `data.safetensors`, pixels in [−1, 1]): exactly `hybrid-fashion`'s MLP 784→512→512→512→10 (ELU)
 * as a joint classifier with E(x) = −LogSumExp(logits) — JEM's sign, as `train-hybrid`'s default —
 * trained with `clf_weight`·CE on every batch plus VERA's generator-based maximum likelihood
 * instead of Langevin negatives. Generator: noise 128 → 500 → 500 → 500 (BatchNorm + Softplus) →
 * 784, tanh. The last `validation_size` images are held out for validation. Config: the seed's
 * knobs under its flag names (lib/vera/config.ts) plus lib/vera/classifier.ts's fields.
 *
 * Outputs: `model.safetensors` in `train-hybrid`'s layout (`eval-hybrid` and `plot-hybrid` read
 * it), `generator.safetensors`, `negatives.safetensors` (generator samples), `epochs.jsonl`,
 * `metrics.jsonl`, `metrics.json` (with `seconds_per_epoch`). Resumable like `train-hybrid`.
 *
 * @example
 * ```yaml
 * steps:
 *   data: { task: fashion-mnist, config: { split: train, im_sz: 28, fit: pad } }
 *   train: { task: train-vera-jem, needs: [data], config: { n_epochs: 3 } }
 * ```
 * @module
 */
import { z } from "zod";
import { defineTask, type TaskContext } from "../lib/task.ts";
import type { LoopOptions } from "../lib/train/loop.ts";
import { findDatasetInput, trainInStep } from "../lib/train/task_io.ts";
import { readImageDataset } from "../lib/data/dataset_file.ts";
import { VERA_CLASSIFIER_FIELDS, VeraClassifierProblem } from "../lib/vera/classifier.ts";
import { sigmaRange, VERA_KNOBS } from "../lib/vera/config.ts";

/** The seed's knobs and the classifier fields, with the image generator's defaults. */
export const TrainVeraJemConfig = z.strictObject({
  ...VERA_KNOBS,
  ...VERA_CLASSIFIER_FIELDS,
  noise_dim: VERA_KNOBS.noise_dim.unwrap().default(128),
  generator_output: VERA_CLASSIFIER_FIELDS.generator_output.unwrap().default("tanh"),
  /** (ours) Number of classes (logits); labels must lie in 0..classes−1 (as train-hybrid). */
  classes: z.number().int().min(2).default(10),
  /** (ours) The last this many images are held out for validation (as train-hybrid). */
  validation_size: z.number().int().nonnegative().default(5000),
}).refine(...sigmaRange);
export type TrainVeraJemConfig = z.output<typeof TrainVeraJemConfig>;

/** Runs training; `hooks` lets tests simulate a kill after an iteration. */
export async function trainVeraJem(ctx: TaskContext<TrainVeraJemConfig>, hooks: Pick<LoopOptions, "afterIteration"> = {}): Promise<void> {
  const c = ctx.config;
  const path = findDatasetInput(ctx);
  const ds = await readImageDataset(path);
  if (!ds.labels) throw new Error(`Cannot train the JEM variant: '${path}' has no labels`);
  const [n, h, w, ch] = ds.shape, d = h * w * ch, nTrain = n - c.validation_size;
  if (nTrain < 1) throw new Error(`Cannot train the JEM variant: validation_size ${c.validation_size} leaves no training images of ${n}`);
  const problem = new VeraClassifierProblem(c, {
    train: { x: ds.images.subarray(0, nTrain * d), y: ds.labels.subarray(0, nTrain) },
    val: { x: ds.images.subarray(nTrain * d), y: ds.labels.subarray(nTrain) },
    test: null,
    d,
    classes: c.classes,
    imageShape: [h, w, ch],
  }, ctx.seed);
  ctx.log.info(`VERA JEM on ${nTrain} images (${c.validation_size} held out) from ${path}: ${c.n_epochs} epochs × ${problem.itersPerEpoch} iterations of batch ${c.batch_size}, clf_weight ${c.clf_weight}, ent_weight ${c.ent_weight}`);
  const summary = await trainInStep(ctx, problem, {
    numIters: problem.numIters, logFreq: Math.min(c.log_every, problem.itersPerEpoch), lrInit: c.lr, lrMin: c.lr, lrDecay: 1, summaryWindow: c.summary_window, config: c,
  }, { ...hooks, onDiverge: c.on_diverge === "stop" ? "finish" : "throw" });
  const perEpoch = summary.seconds_per_iter * problem.itersPerEpoch;
  await ctx.writeMetrics({ ...summary, seconds_per_epoch: perEpoch });
  ctx.log.info(`final validation accuracy ${summary.final_val_accuracy}, ${summary.seconds_per_iter.toFixed(3)} s/iteration, ${perEpoch.toFixed(0)} s/epoch`);
}

export default defineTask({
  name: "train-vera-jem",
  description: "Trains the hybrid MLP as a JEM-style joint classifier-EBM with VERA (generator + entropy estimator) instead of Langevin negatives.",
  config: TrainVeraJemConfig,
  usesTensors: true,
  run: (ctx) => trainVeraJem(ctx),
});
