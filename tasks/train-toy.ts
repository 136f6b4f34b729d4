/**
 * `train-toy`: the paper's toy experiment (`train_toy.py`): an EBM on 2-D gmm or rings data by
 * MCMC-based ML learning, with the landscape diagnostics of SPEC §2. Config fields are the
 * paper's (`configs/gmm_convergent.yaml` etc.) plus `summary_window`. Its `gmm`/`rings` are the
 * anatomy paper's (`lib/data/toy.ts`), not the FCE/VERA point sets of `toy-2d`
 * (`lib/data/toy_2d.ts`, whose `rings` is a different distribution); the two stay apart.
 *
 * Outputs: `metrics.jsonl`, `metrics.json` (d_t/r_t summary, wall time, backend, `kl_true_ebm`,
 * `kl_true_kde` on the final grid), `landscape.json` (format in `lib/artifacts/landscape_file.ts`),
 * `landscapes/landscape_<iter>.json` every `log_viz_freq`, `checkpoint.safetensors`,
 * `bank.safetensors` (persistent only), `checkpoints/net_<iter>.safetensors` every
 * `log_info_freq`. Data only: `plot-landscape` and `plot-diagnostics` draw it. Resumable like
 * `train-ebm`.
 *
 * @example
 * ```yaml
 * steps:
 *   gmm: { task: train-toy, config: configs/gmm_convergent.yaml }
 * ```
 * @module
 */
import { defineTask, type TaskContext } from "../lib/task.ts";
import { TrainToyConfig } from "../lib/train/config.ts";
import { ToyTrainingProblem } from "../lib/train/toy_problem.ts";
import type { LoopOptions } from "../lib/train/loop.ts";
import { trainingSchedule, trainInStep } from "../lib/train/task_io.ts";

/** Runs toy training; `hooks` lets tests simulate a kill after an iteration. */
export async function trainToy(ctx: TaskContext<TrainToyConfig>, hooks: Pick<LoopOptions, "afterIteration"> = {}): Promise<void> {
  const config = ctx.config;
  const problem = new ToyTrainingProblem(config, ctx.seed, ctx.pool);
  const schedule = trainingSchedule(config, config.log_info_freq);
  ctx.log.info(`Training the toy EBM on ${config.toy_type} (${config.toy_groups} groups), ${config.optimizer_type} lr ${schedule.lrInit.toExponential(3)}, ε ${config.epsilon}, ${config.num_mcmc_steps} steps from ${config.init_type}`);
  const summary = await trainInStep(ctx, problem, schedule, hooks);
  ctx.log.info(`KL(true‖EBM) ${Number(summary.kl_true_ebm).toFixed(4)}, KL(true‖KDE) ${Number(summary.kl_true_kde).toFixed(4)}, ${summary.seconds_per_iter.toFixed(3)} s/iteration`);
}

export default defineTask({
  name: "train-toy",
  description: "Trains a toy 2-D EBM (gmm/rings) and maps its landscape: true density, EBM density, short-run KDE, KLs.",
  config: TrainToyConfig,
  usesTensors: true,
  run: (ctx) => trainToy(ctx),
});
