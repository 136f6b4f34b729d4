/**
 * `train-hybrid`: the joint classifier-EBM (SPEC §6, seed 003) — an MLP 784→512→512→512→10 (ELU)
 * whose logits classify and whose LogSumExp is an energy, trained with cross-entropy plus the
 * contrastive term on short-run Langevin negatives from U(−1, 1). Reads the labelled images of the
 * upstream dataset step (`data.safetensors`), holds out the last `validation_size` for validation.
 * Config: `lib/hybrid/config.ts` (the seed's flag names and config-file defaults, `energy_sign`,
 * `generative_weight`: 0 gives the classifier-only baseline).
 *
 * Outputs: `model.safetensors` (PyTorch layout, `lib/artifacts/hybrid_model.ts`), `metrics.jsonl` (per
 * iteration: d_t = contrastive term, r_t = Langevin gradient norm, loss, ce, accuracy, energies),
 * `epochs.jsonl` (per epoch: loss terms, train/validation accuracy, validation CE),
 * `negatives.safetensors` (the last logged negatives), `metrics.json`. Resumable like `train-ebm`.
 *
 * @example
 * ```yaml
 * steps:
 *   data: { task: fashion-mnist, config: { split: train, im_sz: 28, fit: pad } }
 *   train: { task: train-hybrid, needs: [data], config: { epochs: 2 } }
 * ```
 * @module
 */
import { defineTask, type TaskContext } from "../lib/task.ts";
import { TrainHybridConfig } from "../lib/hybrid/config.ts";
import { HybridTrainingProblem } from "../lib/hybrid/train.ts";
import type { LoopOptions } from "../lib/train/loop.ts";
import { findDatasetInput, trainInStep } from "../lib/train/task_io.ts";
import { readImageDataset } from "../lib/data/dataset_file.ts";

/** Runs training; `hooks` lets tests simulate a kill after an iteration. */
export async function trainHybrid(ctx: TaskContext<TrainHybridConfig>, hooks: Pick<LoopOptions, "afterIteration"> = {}): Promise<void> {
  const c = ctx.config;
  const path = findDatasetInput(ctx);
  const dataset = await readImageDataset(path);
  if (!dataset.labels) throw new Error(`Cannot train the hybrid model: '${path}' has no labels`);
  const problem = new HybridTrainingProblem(c, { images: dataset.images, shape: dataset.shape, labels: dataset.labels }, ctx.seed);
  ctx.log.info(
    `Training the hybrid MLP (${c.energy_sign} sign, generative weight ${c.generative_weight}) on ${problem.trainCount} images ` +
      `(${c.validation_size} held out) from ${path}: ${c.epochs} epochs × ${problem.itersPerEpoch} iterations, η ${c.langevin_steps}, α ${c.langevin_alpha}, σ ${c.langevin_sigma}`,
  );
  const summary = await trainInStep(ctx, problem, {
    numIters: problem.numIters,
    logFreq: Math.min(c.log_freq, problem.itersPerEpoch),
    lrInit: c.lr,
    lrMin: Math.min(c.lr_min, c.lr),
    lrDecay: c.lr_decay,
    summaryWindow: c.summary_window,
    config: c,
  }, { ...hooks, onDiverge: c.on_diverge === "stop" ? "finish" : "throw" });
  ctx.log.info(`final validation accuracy ${summary.final_val_accuracy}, ${summary.seconds_per_iter.toFixed(3)} s/iteration`);
}

export default defineTask({
  name: "train-hybrid",
  description: "Trains the joint classifier-EBM (MLP logits as classifier, LogSumExp as energy) with cross-entropy plus short-run Langevin contrastive learning.",
  config: TrainHybridConfig,
  usesTensors: true,
  run: (ctx) => trainHybrid(ctx),
});
