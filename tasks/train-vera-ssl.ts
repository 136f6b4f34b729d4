/**
 * `train-vera-ssl`: VERA's semi-supervised classifier (SPEC §7) on a tabular set (the upstream
 * `tabular-data` step's `tabular.safetensors`): the seed's tabular EBM D→1000→500→500→250→250→250→C
 * (LeakyReLU 0.2; the seed's weight normalisation is not applied) as a joint classifier with
 * log p(x) = LogSumExp(logits), its large generator, `labels_per_class` labelled rows per class and
 * every training row as unlabelled data. `supervised_only: true` trains the same network on the same
 * labelled batches with cross-entropy alone — the baseline. Config: the seed's knobs under its
 * flag names (lib/vera/config.ts) plus lib/vera/classifier.ts's fields.
 *
 * Outputs: `model.safetensors`, `generator.safetensors` (not for the baseline), `epochs.jsonl`
 * (validation accuracy per epoch), `metrics.jsonl`, `metrics.json` (`test_accuracy`,
 * `final_val_accuracy`, wall time). Resumable like `train-ebm`.
 *
 * @example
 * ```yaml
 * steps:
 *   vera: { task: train-vera-ssl, needs: [features], config: { labels_per_class: 10 } }
 *   supervised-only: { task: train-vera-ssl, needs: [features], config: { labels_per_class: 10, supervised_only: true } }
 * ```
 * @module
 */
import { z } from "zod";
import { defineTask, type TaskContext } from "../lib/task.ts";
import type { LoopOptions } from "../lib/train/loop.ts";
import { trainInStep } from "../lib/train/task_io.ts";
import { findTabularInput, readTabularFile } from "../lib/artifacts/tabular_file.ts";
import { VERA_CLASSIFIER_FIELDS, VeraClassifierProblem } from "../lib/vera/classifier.ts";
import { sigmaRange, VERA_KNOBS } from "../lib/vera/config.ts";

/** The seed's knobs and the classifier fields, with the tabular EBM's widths and activation as defaults. */
export const TrainVeraSslConfig = z.strictObject({
  ...VERA_KNOBS,
  ...VERA_CLASSIFIER_FIELDS,
  labels_per_class: VERA_CLASSIFIER_FIELDS.labels_per_class.unwrap().min(1).default(10),
  hidden: VERA_CLASSIFIER_FIELDS.hidden.unwrap().default([1000, 500, 500, 250, 250, 250]),
  activation: VERA_CLASSIFIER_FIELDS.activation.unwrap().default("leaky_relu"),
}).refine(...sigmaRange);
export type TrainVeraSslConfig = z.output<typeof TrainVeraSslConfig>;

/** Runs training; `hooks` lets tests simulate a kill after an iteration. */
export async function trainVeraSsl(ctx: TaskContext<TrainVeraSslConfig>, hooks: Pick<LoopOptions, "afterIteration"> = {}): Promise<void> {
  const c = ctx.config;
  const path = findTabularInput(ctx);
  const set = await readTabularFile(path);
  const problem = new VeraClassifierProblem(c, { train: set.train, val: set.val, test: set.test, d: set.d, classes: set.classes }, ctx.seed);
  ctx.log.info(
    `${c.supervised_only ? "Supervised-only baseline" : "Semi-supervised VERA"} on ${set.dataset} (${set.d} features, ${set.classes} classes): ` +
      `${problem.labelled!.length} labelled of ${problem.trainCount} training rows, ${c.n_epochs} epochs × ${problem.itersPerEpoch} iterations of batch ${c.batch_size}`,
  );
  const summary = await trainInStep(ctx, problem, {
    numIters: problem.numIters, logFreq: Math.min(c.log_every, problem.itersPerEpoch), lrInit: c.lr, lrMin: c.lr, lrDecay: 1, summaryWindow: c.summary_window, config: c,
  }, { ...hooks, onDiverge: c.on_diverge === "stop" ? "finish" : "throw" });
  ctx.log.info(`test accuracy ${summary.test_accuracy}, validation ${summary.final_val_accuracy}; ${summary.seconds_per_iter.toFixed(3)} s/iteration`);
}

export default defineTask({
  name: "train-vera-ssl",
  description: "Trains VERA's semi-supervised joint classifier-EBM on a tabular set (or, supervised_only, the same network on the labelled rows alone).",
  config: TrainVeraSslConfig,
  usesTensors: true,
  run: (ctx) => trainVeraSsl(ctx),
});
