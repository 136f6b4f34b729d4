/**
 * Glue between the training/sampling tasks and their step context: finding the upstream dataset
 * or checkpoint, and running the training loop with the step's dirs and logger.
 *
 * @example
 * ```ts ignore
 * import { findDatasetInput } from "./task_io.ts";
 * const path = findDatasetInput(ctx); // ".../data.safetensors" of the single dataset input
 * ```
 * @module
 */
import type { TaskContext } from "../task.ts";
import { DATASET_FILE } from "../data/dataset_file.ts";
import { effectiveLearningRates } from "./config.ts";
import { CHECKPOINT_FILE } from "../artifacts/checkpoint.ts";
import { type LoopOptions, type LoopSummary, runTrainingLoop, type TrainingProblem } from "./loop.ts";

function hasFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Path of `data.safetensors` of the one upstream input that has it; clear errors for none or several. */
export function findDatasetInput(ctx: Pick<TaskContext<unknown>, "inputWith">): string {
  return `${ctx.inputWith(DATASET_FILE, "Cannot find the training images", "add a dataset step such as fashion-mnist to 'needs'").dir}/${DATASET_FILE}`;
}

/** Path of the checkpoint to sample from: `configPath` if given, else the one upstream input with `checkpoint.safetensors`. */
export function findCheckpoint(ctx: Pick<TaskContext<unknown>, "inputWith">, configPath: string | undefined): string {
  if (configPath) {
    if (!hasFile(configPath)) throw new Error(`Cannot read config 'net_weight_path': no file at '${configPath}'`);
    return configPath;
  }
  return `${ctx.inputWith(CHECKPOINT_FILE, "Cannot find the network to sample from", "set 'net_weight_path' or depend on a training step").dir}/${CHECKPOINT_FILE}`;
}

/** The schedule part of the loop options, which differs between the image and toy tasks. */
export type TrainingSchedule = Pick<LoopOptions, "numIters" | "logFreq" | "lrInit" | "lrMin" | "lrDecay" | "summaryWindow" | "config">;

/**
 * The schedule of a paper-style training config (`num_train_iters`, learning rates scaled by
 * {@link effectiveLearningRates}, `lr_decay`, `summary_window`), logging every `logFreq` iterations.
 */
export function trainingSchedule(
  config: Parameters<typeof effectiveLearningRates>[0] & { num_train_iters: number; lr_decay: number; summary_window: number },
  logFreq: number,
): TrainingSchedule {
  const { lrInit, lrMin } = effectiveLearningRates(config);
  return { numIters: config.num_train_iters, logFreq, lrInit, lrMin, lrDecay: config.lr_decay, summaryWindow: config.summary_window, config };
}

/**
 * What a training loop takes from the step's context: seed, resume and output dirs, logger,
 * progress, abort signal, backend.
 *
 * @example
 * ```ts ignore
 * const summary = await runFceTraining({ config, points, dataset, ...loopContext(ctx) });
 * ```
 */
export function loopContext(ctx: TaskContext<unknown>) {
  const { seed, resumeDir, outDir, log, progress, signal, backend } = ctx;
  return { seed, resumeDir, outDir, log, progress, signal, backend };
}

/**
 * Runs the training loop in the step's context (seed, resume and output dirs, logger, progress,
 * abort signal, backend), then writes `metrics.json`. Training draws nothing: `plot-diagnostics`
 * draws `metrics.jsonl`.
 * `hooks` lets tests simulate a kill after an iteration; `onDiverge` chooses what a divergence does.
 */
export async function trainInStep(
  ctx: TaskContext<unknown>,
  problem: TrainingProblem,
  schedule: TrainingSchedule,
  hooks: Pick<LoopOptions, "afterIteration" | "onDiverge"> = {},
): Promise<LoopSummary> {
  const summary = await runTrainingLoop(problem, { ...schedule, ...loopContext(ctx), ...hooks });
  await ctx.writeMetrics(summary);
  return summary;
}
