/**
 * `train-ebm`: the paper's MCMC-based ML learning of an image EBM (SPEC §1, Algorithm 1) on the
 * images of the upstream dataset step (`data.safetensors`). Config fields are the paper's
 * (`configs/flowers_convergent.yaml` etc.) plus `n_f` and `summary_window`.
 *
 * Outputs: `metrics.jsonl` (per iteration `{iter, d_t, r_t, lr, seconds}`), `metrics.json`
 * (summary over the last `summary_window` iterations, wall time, iterations/s, backend),
 * `checkpoint.safetensors` (final weights `net.<torch key>` + optimiser state `optim.*`),
 * `bank.safetensors` (persistent bank, when used), `shortrun/`, `bank/`, `longrun/` grids and
 * `checkpoints/net_<iter>.safetensors` snapshots (weights + optimiser; the bank is only in the
 * resumable state and the final bank file, because it is as large as the dataset). It draws no
 * figures (a `plot-diagnostics` step draws `metrics.jsonl`), so chart edits leave it cached.
 * Resumable: see `lib/train/loop.ts`.
 *
 * @example
 * ```yaml
 * steps:
 *   data: { task: fashion-mnist, config: { im_sz: 32 } }
 *   train: { task: train-ebm, needs: [data], config: configs/flowers_nonconvergent.yaml }
 * ```
 * @module
 */
import { defineTask, type TaskContext } from "../lib/task.ts";
import { TrainEbmConfig } from "../lib/train/config.ts";
import { ImageTrainingProblem } from "../lib/train/image_problem.ts";
import type { LoopOptions } from "../lib/train/loop.ts";
import { findDatasetInput, trainingSchedule, trainInStep } from "../lib/train/task_io.ts";
import { readImageDataset } from "../lib/data/dataset_file.ts";

/** Runs training; `hooks` lets tests simulate a kill after an iteration. */
export async function trainEbm(ctx: TaskContext<TrainEbmConfig>, hooks: Pick<LoopOptions, "afterIteration"> = {}): Promise<void> {
  const config = ctx.config;
  const datasetPath = findDatasetInput(ctx);
  const dataset = await readImageDataset(datasetPath);
  ctx.log.info(`Training ${config.net_type} (n_f ${config.n_f}) on ${dataset.shape[0]} images ${dataset.shape.slice(1).join("×")} from ${datasetPath}`);
  const source = dataset.metadata.source;
  if (source && !source.toLowerCase().includes(config.data.toLowerCase())) {
    ctx.log.warn(`Config 'data' is '${config.data}' but the upstream dataset says source '${source}'; training on the upstream images`);
  }
  const problem = new ImageTrainingProblem(config, dataset, ctx.seed);
  const summary = await trainInStep(ctx, problem, trainingSchedule(config, config.log_freq), hooks);
  ctx.log.info(`d_t mean ${summary.d_t_mean.toExponential(3)} sd ${summary.d_t_sd.toExponential(3)}, lag-1 autocorrelation ${summary.d_t_lag1_autocorr.toFixed(3)}, ${summary.seconds_per_iter.toFixed(3)} s/iteration`);
}

export default defineTask({
  name: "train-ebm",
  description: "Trains an image EBM by MCMC-based maximum likelihood (the paper's Algorithm 1).",
  config: TrainEbmConfig,
  usesTensors: true,
  run: (ctx) => trainEbm(ctx),
});
