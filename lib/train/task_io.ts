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
import { type LoopOptions, type LoopSummary, runTrainingLoop, type TrainingProblem } from "./loop.ts";

function hasFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Path of `data.safetensors` of the one upstream input that has it; clear errors for none or several. */
export function findDatasetInput(ctx: Pick<TaskContext<unknown>, "inputs">): string {
  const found = ctx.inputs.filter((i) => hasFile(`${i.dir}/${DATASET_FILE}`));
  if (found.length === 0) {
    const names = ctx.inputs.map((i) => `${i.id} (${i.task})`).join(", ") || "none";
    throw new Error(`Cannot find the training images: no upstream step wrote ${DATASET_FILE} (inputs: ${names}); add a dataset step such as fashion-mnist to 'needs'`);
  }
  if (found.length > 1) throw new Error(`Cannot choose the training images: several inputs have ${DATASET_FILE} (${found.map((i) => i.id).join(", ")})`);
  return `${found[0].dir}/${DATASET_FILE}`;
}

/** Path of the checkpoint to sample from: `configPath` if given, else the one upstream input with `checkpoint.safetensors`. */
export function findCheckpoint(ctx: Pick<TaskContext<unknown>, "inputs">, configPath: string | undefined): string {
  if (configPath) {
    if (!hasFile(configPath)) throw new Error(`Cannot read config 'net_weight_path': no file at '${configPath}'`);
    return configPath;
  }
  const found = ctx.inputs.filter((i) => hasFile(`${i.dir}/checkpoint.safetensors`));
  if (found.length !== 1) {
    throw new Error(`Cannot find the network to sample from: set 'net_weight_path' or depend on exactly one training step (found ${found.length} inputs with checkpoint.safetensors)`);
  }
  return `${found[0].dir}/checkpoint.safetensors`;
}

/** The schedule part of the loop options, which differs between the image and toy tasks. */
export type TrainingSchedule = Pick<LoopOptions, "numIters" | "logFreq" | "lrInit" | "lrMin" | "lrDecay" | "summaryWindow" | "config">;

/**
 * Runs the training loop in the step's context (seed, resume and output dirs, logger, progress,
 * abort signal, backend), then writes `metrics.json`. Training draws nothing: `plot-diagnostics`
 * draws `metrics.jsonl`.
 * `hooks` lets tests simulate a kill after an iteration.
 */
export async function trainInStep(
  ctx: TaskContext<unknown>,
  problem: TrainingProblem,
  schedule: TrainingSchedule,
  hooks: Pick<LoopOptions, "afterIteration"> = {},
): Promise<LoopSummary> {
  const summary = await runTrainingLoop(problem, {
    ...schedule,
    seed: ctx.seed,
    resumeDir: ctx.resumeDir,
    outDir: ctx.outDir,
    log: ctx.log,
    progress: ctx.progress,
    signal: ctx.signal,
    backend: ctx.backend,
    ...hooks,
  });
  await ctx.writeMetrics(summary);
  return summary;
}
