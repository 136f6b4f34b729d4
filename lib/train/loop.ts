/**
 * The training loop shared by `train-ebm` and `train-toy`: iterations, learning-rate decay,
 * `metrics.jsonl`, periodic logging, resumable checkpoints, divergence checks and the final
 * `metrics.json` summary. What one iteration does lives in a {@link TrainingProblem}.
 *
 * Resume design: everything a run writes goes first to `<resumeDir>/work/` (which survives a
 * kill), and the full state (weights, optimiser, bank, lr, iteration) to
 * `<resumeDir>/state.safetensors` at every logging iteration, written after the work files it
 * covers. A re-run of the same step finds the state, restores it, cuts `metrics.jsonl` back to
 * its iteration and continues; random numbers come from per-iteration streams (`streams.ts`), so
 * the result equals an uninterrupted run. On success the work files move to `outDir`.
 *
 * @example
 * ```ts ignore
 * import { runTrainingLoop } from "./loop.ts";
 * const summary = await runTrainingLoop(problem, {
 *   numIters: 1000, logFreq: 100, lrInit: 1e-4, lrMin: 1e-4, lrDecay: 1, summaryWindow: 2000,
 *   seed: 123, config, resumeDir: ctx.resumeDir, outDir: ctx.outDir, log: ctx.log,
 *   progress: ctx.progress, signal: ctx.signal,
 * });
 * ```
 * @module
 */
import type { Logger, Progress } from "../task.ts";
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { exists, writeFileAtomic } from "../util/fs.ts";
import { METRICS_LOG_FILE, MetricsLog } from "../artifacts/metrics_log.ts";
import { summarizeTraining, type TrainingSummary } from "./diagnostics.ts";

/** One training recipe (images or toy) as seen by the loop. */
export interface TrainingProblem {
  /**
   * Runs iteration `iter` (1-based) with learning rate `lr`: negatives, Langevin, one optimiser
   * step. `extra` numbers (e.g. loss terms) join the iteration's metrics.jsonl record; a
   * non-finite one stops training like a non-finite d_t.
   */
  iterate(iter: number, lr: number): Promise<{ d_t: number; r_t: number; extra?: Record<string, number> }>;
  /** Writes what is logged at iteration `iter` (grids, snapshot checkpoint…) into `dir`. */
  logArtifacts(iter: number, dir: string): Promise<void>;
  /** The full resumable state as tensors: weights, optimiser state, bank. */
  stateTensors(): Promise<Record<string, NamedTensor>>;
  /** Restores a state written by {@link stateTensors}. */
  restoreState(tensors: Record<string, NamedTensor>): Promise<void>;
  /** The name of the first parameter that holds a non-finite value, or null. */
  firstNonFiniteWeight(): Promise<string | null>;
  /** Writes the final outputs into `dir`; returns extra metrics for metrics.json. */
  finish(dir: string): Promise<Record<string, number | string | boolean | null>>;
}

/** Settings of {@link runTrainingLoop}. */
export interface LoopOptions {
  numIters: number;
  /** Log (artefacts + resumable checkpoint) at iteration 1 and every `logFreq`. */
  logFreq: number;
  lrInit: number;
  lrMin: number;
  lrDecay: number;
  summaryWindow: number;
  seed: number;
  /** The effective config; stored in checkpoints and compared on resume. */
  config: unknown;
  resumeDir: string;
  outDir: string;
  log: Logger;
  progress: Progress;
  signal?: AbortSignal;
  /** Backend name, for metrics.json. */
  backend?: string;
  /** Called after each iteration is fully logged (tests use it to simulate a kill). */
  afterIteration?: (iter: number) => void | Promise<void>;
  /**
   * What a divergence does: `throw` (default) stops with {@link TrainingDivergedError}; `finish`
   * restores the last good checkpoint, writes the final outputs from it and returns a summary with
   * `diverged_at` and `diverged_reason` (for runs compared in one report, e.g. a sign that is
   * expected to fail). A divergence before the first checkpoint always throws.
   */
  onDiverge?: "throw" | "finish";
}

/** Name of the resumable state inside resumeDir. */
export const STATE_FILE = "state.safetensors";

/** Thrown when d_t, energies or weights stop being finite. */
export class TrainingDivergedError extends Error {
  constructor(readonly iteration: number, readonly detail: string, readonly lastGood: number) {
    super(
      `Training diverged at iteration ${iteration}: ${detail}` +
        (lastGood > 0
          ? ` (the last good checkpoint, iteration ${lastGood}, stays in the resume directory; a plain re-run resumes from it and may diverge again: change the config, or re-run with --restart=<step> to start over)`
          : " (no checkpoint was written before)"),
    );
  }
}

/** What {@link runTrainingLoop} returns (and the tasks write to metrics.json). */
export type LoopSummary = TrainingSummary & {
  iterations: number;
  /** Training time in seconds (summed over resumed runs; logging excluded). */
  wall_seconds: number;
  /** Wall-clock seconds of this invocation, logging and final outputs included. */
  elapsed_seconds: number;
  seconds_per_iter: number;
  iters_per_second: number;
  /** Iteration the run resumed from (0 = fresh). */
  resumed_from: number;
  backend: string;
} & Record<string, number | string | boolean | null>;

/** Runs the loop to the end (or resumes it); returns the summary written to metrics.json. */
export async function runTrainingLoop(problem: TrainingProblem, o: LoopOptions): Promise<LoopSummary> {
  const started = performance.now();
  const workDir = `${o.resumeDir}/work`;
  const statePath = `${o.resumeDir}/${STATE_FILE}`;
  await Deno.mkdir(workDir, { recursive: true });
  const configJson = JSON.stringify(o.config);

  let start = 0, lr = o.lrInit, priorSeconds = 0;
  if (await exists(statePath)) {
    const { tensors, metadata } = decodeSafetensors(await Deno.readFile(statePath), `'${statePath}'`);
    if (metadata.config !== configJson) {
      throw new Error(`Cannot resume from '${statePath}': it was written with a different config (${metadata.config}); delete the resume directory to start over`);
    }
    await problem.restoreState(tensors);
    start = Number(metadata.iteration);
    lr = Number(metadata.lr);
    priorSeconds = Number(metadata.train_seconds ?? 0);
    o.log.info(`Resuming at iteration ${start + 1} of ${o.numIters} from ${statePath}`);
  }
  let lastGood = start;
  const metrics = await MetricsLog.open(`${workDir}/${METRICS_LOG_FILE}`, start);
  let trainSeconds = priorSeconds;
  let diverged: TrainingDivergedError | null = null;
  try {
    for (let iter = start + 1; iter <= o.numIters; iter++) {
      if (o.signal?.aborted) throw new Error(`Training stopped at iteration ${iter}: the run was cancelled`);
      const t0 = performance.now();
      const { d_t, r_t, extra = {} } = await problem.iterate(iter, lr);
      for (const [key, value] of Object.entries(extra)) {
        if (!Number.isFinite(value)) throw new TrainingDivergedError(iter, `${key} = ${value} (not finite)`, lastGood);
      }
      if (!Number.isFinite(d_t)) throw new TrainingDivergedError(iter, `d_t = ${d_t} (the energies are not finite)`, lastGood);
      if (!Number.isFinite(r_t)) throw new TrainingDivergedError(iter, `r_t = ${r_t} (the Langevin gradients are not finite)`, lastGood);
      const usedLr = lr;
      lr = Math.max(o.lrMin, lr * o.lrDecay);
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      metrics.append({ iter, d_t, r_t, lr: usedLr, seconds, ...extra });
      if (iter === 1 || iter % o.logFreq === 0 || iter === o.numIters) {
        const bad = await problem.firstNonFiniteWeight();
        if (bad) throw new TrainingDivergedError(iter, `weight '${bad}' is not finite`, lastGood);
        await problem.logArtifacts(iter, workDir);
        const tensors = await problem.stateTensors();
        await writeFileAtomic(statePath, encodeSafetensors(tensors, {
          iteration: String(iter),
          lr: String(lr),
          seed: String(o.seed),
          config: configJson,
          train_seconds: String(trainSeconds),
          rng: `per-iteration streams derived from seed ${o.seed}; next iteration ${iter + 1}`,
        }));
        lastGood = iter;
        o.log.info(`iteration ${iter}/${o.numIters}: d_t ${d_t.toExponential(3)}, r_t ${r_t.toExponential(3)}, lr ${usedLr.toExponential(2)}, ${seconds.toFixed(2)} s`);
      }
      o.progress.update(iter, o.numIters, "iteration");
      await o.afterIteration?.(iter);
    }
  } catch (e) {
    if (!(e instanceof TrainingDivergedError) || o.onDiverge !== "finish" || e.lastGood < 1) throw e;
    diverged = e;
    o.log.warn(`${e.message.split(" (")[0]}; finishing with the last good checkpoint (iteration ${e.lastGood}) as configured`);
    const { tensors } = decodeSafetensors(await Deno.readFile(statePath), `'${statePath}'`);
    await problem.restoreState(tensors);
  } finally {
    metrics.close();
  }

  const d = metrics.records.map((r) => r.d_t), r = metrics.records.map((r) => r.r_t);
  const summary = summarizeTraining(d, r, o.summaryWindow);
  const extra = await problem.finish(workDir);
  await moveContents(workDir, o.outDir);
  const ran = diverged ? metrics.records.length : o.numIters;
  return {
    ...summary,
    ...extra,
    ...(diverged ? { diverged_at: diverged.iteration, diverged_reason: diverged.detail, weights_from_iteration: diverged.lastGood } : {}),
    iterations: ran,
    wall_seconds: trainSeconds,
    elapsed_seconds: (performance.now() - started) / 1000,
    seconds_per_iter: trainSeconds / ran,
    iters_per_second: ran / trainSeconds,
    resumed_from: start,
    backend: o.backend ?? "unknown",
  };
}

/** Moves every entry of `from` into `to` (rename; copy across file systems). */
export async function moveContents(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const src = `${from}/${entry.name}`, dst = `${to}/${entry.name}`;
    try {
      await Deno.rename(src, dst);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotSupported) && !String(e).includes("cross-device")) throw e;
      await copyTree(src, dst);
    }
  }
}

async function copyTree(src: string, dst: string): Promise<void> {
  const info = await Deno.stat(src);
  if (info.isDirectory) {
    await Deno.mkdir(dst, { recursive: true });
    for await (const e of Deno.readDir(src)) await copyTree(`${src}/${e.name}`, `${dst}/${e.name}`);
  } else {
    await Deno.copyFile(src, dst);
  }
}
