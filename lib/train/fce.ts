/**
 * Flow contrastive estimation (Gao et al. 2020; SPEC §5, the FCE seed's `train.py`/`util.py`):
 * an EBM `log p(x) = −f(x) − c` and a flow q play a classification game. Per batch of B data
 * points x and B flow samples g (with their exact log q),
 *
 *   V = mean_x[log p(x) − logsumexp(log p(x), log q(x))] + mean_g[log q(g) − logsumexp(log p(g), log q(g))],
 *   accuracy = (#{σ(log p(x) − log q(x)) ≥ ½} + #{σ(log q(g) − log p(g)) > ½}) / 2B,
 *
 * and one Adam step is taken per batch: on the EBM (loss −V) while the previous batch's accuracy
 * ≤ `threshold`, else on the flow (loss +V). The first step trains the EBM. V and accuracy are
 * those of the batch before the step, as the seed logs them.
 *
 * The loop is resumable like `train-ebm`'s (`loop.ts`): all outputs go to `<resumeDir>/work/`
 * first, the full state (both models, both Adam states, the step, the next model) to
 * `<resumeDir>/state.safetensors` every `checkpoint_freq` steps; random numbers come from
 * per-step streams (`streams.ts`: `batch` per epoch for the shuffle, `sample` per step for the
 * base points, `toy-data` for the evaluation sample, `init` for the weights), so a resumed run
 * equals an uninterrupted one. A non-finite V, accuracy or weight stops the run with
 * {@link TrainingDivergedError}, the last good state kept; so does a non-finite gradient under
 * `overflow: stop`, while under `overflow: drop` that step is skipped (weights unchanged,
 * `skipped` in metrics.jsonl) unless {@link MAX_SKIPPED_IN_A_ROW} steps in a row were, and a batch
 * whose every flow sample overflowed stops the run.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { fceValue, nextModel } from "./fce.ts";
 * const { value, accuracy } = fceValue(tf.tensor1d([0, 1]), tf.tensor1d([0, 0]), tf.tensor1d([0, 0]), tf.tensor1d([1, 0]));
 * const model = nextModel(accuracy, 0.6); // "flow" when accuracy > 0.6
 * value.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createNet, type EnergyNet } from "../nets/net.ts";
import { firstNonFinite, firstNonFiniteParam, logSigmoid } from "../nets/ops.ts";
import { createOptimizer, type Optimizer } from "../ebm/optim.ts";
import { createMaf } from "../flows/maf.ts";
import { createGlow } from "../flows/glow.ts";
import type { Flow } from "../flows/flow.ts";
import { eightGaussiansLogDensities, sampleToy2d } from "../data/toy_2d.ts";
import { gridAxis, gridPoints } from "../data/toy.ts";
import type { Logger, Progress } from "../task.ts";
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { exists, writeFileAtomic } from "../util/fs.ts";
import { streamFor } from "./streams.ts";
import { MetricsLog } from "../artifacts/metrics_log.ts";
import { moveContents, STATE_FILE, TrainingDivergedError } from "./loop.ts";
import { stateDictTensors, tensorsToStateDict } from "./model.ts";
import type { TrainFceConfig } from "./fce_config.ts";
import { FCE_DENSITIES_FILE, FCE_EBM_FILE, FCE_FLOW_FILE, FCE_METRICS_FILE, type FceRecord, parseFceMetrics, summarizeFce, writeFceDensities } from "../artifacts/fce_files.ts";

/**
 * V and the accuracy from the four log-densities ([B] or [B, 1] each). V uses
 * `a − logsumexp(a, b) = log σ(a − b)`, which is exact and stable.
 */
export function fceValue(logpX: tf.Tensor, logqX: tf.Tensor, logpG: tf.Tensor, logqG: tf.Tensor): { value: tf.Scalar; accuracy: number } {
  const { value, correct } = fceValueTensors(logpX, logqX, logpG, logqG);
  const accuracy = correct.dataSync()[0] / (logpX.size + logpG.size);
  correct.dispose();
  return { value, accuracy };
}

/** {@link fceValue} as tensors (V, and the number of correctly classified points). */
function fceValueTensors(logpX: tf.Tensor, logqX: tf.Tensor, logpG: tf.Tensor, logqG: tf.Tensor): { value: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const dx = tf.sub(tf.reshape(logpX, [-1]), tf.reshape(logqX, [-1])); // log p − log q on data
    const dg = tf.sub(tf.reshape(logqG, [-1]), tf.reshape(logpG, [-1])); // log q − log p on samples
    const value = tf.add(tf.mean(logSigmoid(dx)), tf.mean(logSigmoid(dg))) as tf.Scalar;
    // σ(d) ≥ ½ ⇔ d ≥ 0 for data; σ(d) > ½ ⇔ d > 0 for samples (the seed's two comparisons).
    const correct = tf.add(tf.sum(tf.cast(tf.greaterEqual(dx, 0), "float32")), tf.sum(tf.cast(tf.greater(dg, 0), "float32"))) as tf.Scalar;
    return { value, correct };
  });
}

/** Indices of the rows where the sample [N, 2] and its log q [N] are all finite. */
function finiteRows(gen: tf.Tensor2D, logq: tf.Tensor1D): number[] {
  const g = gen.dataSync(), l = logq.dataSync(), rows: number[] = [];
  for (let i = 0; i < l.length; i++) if (Number.isFinite(g[2 * i]) && Number.isFinite(g[2 * i + 1]) && Number.isFinite(l[i])) rows.push(i);
  return rows;
}

/** The given rows of a row-major array with `width` columns. */
function pickRows(data: Float32Array, rows: number[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(data.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

/**
 * Under `overflow: drop`, this many skipped steps in a row stop the run: the threshold rule keeps
 * choosing the model that cannot step (Glow on rings, seed 42, skipped every flow step from step
 * 16,281 on, its accuracy climbing to 0.84), so waiting longer cannot help.
 */
export const MAX_SKIPPED_IN_A_ROW = 20;

/** What {@link FceTrainer.step} measured and did. */
export interface FceStepResult {
  /** V and accuracy of the batch before the step (NaN when no flow sample was left to contrast). */
  value: number;
  accuracy: number;
  /** Flow samples left out because they overflowed float32 (`overflow: drop`). */
  dropped: number;
  /** `ebm.<key>` / `flow.<key>` of the first parameter whose gradient was not finite (no step was taken), else null. */
  nonFiniteGradient: string | null;
}

/** The threshold rule: the flow steps next when accuracy > threshold, else the EBM. */
export function nextModel(accuracy: number, threshold: number): "ebm" | "flow" {
  return accuracy > threshold ? "flow" : "ebm";
}

/** The EBM and flow of a config, with seeded init (two independent streams of `seed`). */
export function createFceModels(config: TrainFceConfig, seed: number): { ebm: EnergyNet; flow: Flow } {
  const init = streamFor(seed, 0, "init");
  const ebm = createNet("fce", { n_c: 1, n_f: config.ebm_hidden }, init.nextUint32());
  const flowSeed = init.nextUint32();
  const flow = config.flow === "maf"
    ? createMaf({ n_blocks: config.maf_blocks, hidden: config.maf_hidden, n_hidden: config.maf_n_hidden }, flowSeed)
    : createGlow({ width: config.glow_width, depth: config.glow_depth, levels: config.glow_levels }, flowSeed);
  return { ebm, flow };
}

/** log p(x) = −energy(x) of the EBM on points [N, 2] in chunks, as float64. */
export function ebmLogDensity(ebm: EnergyNet, points: Float32Array, chunk = 10_000): Float64Array {
  const n = points.length / 2, out = new Float64Array(n);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const v = tf.tidy(() => tf.neg(ebm.energy(tf.tensor2d(points.subarray(2 * s, 2 * (s + m)), [m, 2]))).dataSync());
    out.set(v, s);
  }
  return out;
}

/** log q(x) of the flow on points [N, 2] in chunks. */
export function flowLogDensity(flow: Flow, points: Float32Array, chunk = 10_000): Float64Array {
  const n = points.length / 2, out = new Float64Array(n);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const v = tf.tidy(() => flow.logProb(tf.tensor2d(points.subarray(2 * s, 2 * (s + m)), [m, 2])).dataSync());
    out.set(v, s);
  }
  return out;
}

/** Mean squared error between the EBM's log p and the exact 8-Gaussian log-density at `points`. */
export function mseLogp(ebm: EnergyNet, points: Float32Array, exact: Float64Array): number {
  const logp = ebmLogDensity(ebm, points);
  let s = 0;
  for (let i = 0; i < logp.length; i++) s += (logp[i] - exact[i]) ** 2;
  return s / logp.length;
}

/** The two models, their optimisers and one FCE step. */
export class FceTrainer {
  readonly ebmOpt: Optimizer;
  readonly flowOpt: Optimizer;

  constructor(readonly ebm: EnergyNet, readonly flow: Flow, readonly config: TrainFceConfig) {
    const betas: [number, number] = [config.b1, config.b2];
    this.ebmOpt = createOptimizer("adam", ebm.params, { lr: config.lr_ebm, betas });
    this.flowOpt = createOptimizer("adam", flow.params, { lr: config.lr_flow, betas });
  }

  /**
   * One step on data x [B, 2] with base points z [B, 2]: V and accuracy of the batch, then an
   * Adam step on `model` (loss −V for the EBM, +V for the flow). Only the stepping model's
   * part of the graph is differentiated; the other model's outputs enter as constants.
   *
   * A flow sample can overflow float32 (MAF's sequential inverse compounds e^α over its blocks;
   * the seed's own recipe does it too, see the README). With `overflow: "drop"` such base points
   * are left out of the batch (counted in `dropped`); with `"stop"` V comes back NaN. A
   * non-finite V takes no step, and neither does a finite V whose gradient is not (a sample
   * at the edge of float32 can overflow in the backward pass only): `nonFiniteGradient` then
   * names the first such parameter and the weights stay as they were.
   */
  step(x: tf.Tensor2D, z: tf.Tensor2D, model: "ebm" | "flow", overflow: "stop" | "drop" = "stop"): FceStepResult {
    let correct: tf.Scalar | null = null;
    let badGrad: string | null = null;
    const ebmLogp = (v: tf.Tensor2D) => tf.neg(this.ebm.energy(v));
    const run = (lossFn: () => tf.Scalar, vars: tf.Variable[], params: { key: string; variable: tf.Variable }[], opt: Optimizer) => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      const v = value.dataSync()[0];
      value.dispose();
      const named: Record<string, tf.Tensor> = {};
      for (const p of params) if (grads[p.variable.name]) named[p.key] = grads[p.variable.name];
      if (Number.isFinite(v)) {
        badGrad = firstNonFinite(Object.entries(named));
        if (badGrad === null) opt.step(named);
      }
      tf.dispose(Object.values(grads));
      return v;
    };
    let loss: number, kept = z;
    // Every sample overflowed: nothing to contrast the data with, so no V and no step.
    const allDropped: FceStepResult = { value: NaN, accuracy: NaN, dropped: z.shape[0], nonFiniteGradient: null };
    if (model === "ebm") {
      let { gen, logqG, logqX } = tf.tidy(() => {
        const { x: gen, logProb: logqG } = this.flow.sampleFrom(z);
        return { gen, logqG, logqX: this.flow.logProb(x) };
      });
      if (overflow === "drop") {
        const rows = finiteRows(gen, logqG);
        if (rows.length === 0) {
          tf.dispose([gen, logqG, logqX]);
          return allDropped;
        }
        if (rows.length < z.shape[0]) {
          const g2 = tf.tensor2d(pickRows(gen.dataSync() as Float32Array, rows, 2), [rows.length, 2]);
          const l2 = tf.tensor1d(pickRows(logqG.dataSync() as Float32Array, rows, 1));
          tf.dispose([gen, logqG]);
          [gen, logqG] = [g2, l2];
          kept = tf.tensor2d(pickRows(z.dataSync() as Float32Array, rows, 2), [rows.length, 2]);
        }
      }
      try {
        loss = -run(() => {
          const t = fceValueTensors(ebmLogp(x), logqX, ebmLogp(gen), logqG);
          correct = tf.keep(t.correct);
          return tf.neg(t.value);
        }, this.ebm.variables(), this.ebm.params, this.ebmOpt);
      } finally {
        tf.dispose([gen, logqG, logqX]);
      }
    } else {
      const logpX = tf.tidy(() => ebmLogp(x));
      if (overflow === "drop") {
        const rows = tf.tidy(() => {
          const { x: gen, logProb } = this.flow.sampleFrom(z);
          return finiteRows(gen, logProb);
        });
        if (rows.length === 0) {
          logpX.dispose();
          return allDropped;
        }
        if (rows.length < z.shape[0]) kept = tf.tensor2d(pickRows(z.dataSync() as Float32Array, rows, 2), [rows.length, 2]);
      }
      try {
        loss = run(() => {
          const { x: gen, logProb: logqG } = this.flow.sampleFrom(kept);
          const t = fceValueTensors(logpX, this.flow.logProb(x), ebmLogp(gen), logqG);
          correct = tf.keep(t.correct);
          return t.value;
        }, this.flow.variables(), this.flow.params, this.flowOpt);
      } finally {
        logpX.dispose();
      }
    }
    const c = correct as tf.Scalar | null;
    const accuracy = c ? c.dataSync()[0] / (x.shape[0] + kept.shape[0]) : NaN;
    c?.dispose();
    const dropped = z.shape[0] - kept.shape[0];
    if (kept !== z) kept.dispose();
    return { value: loss, accuracy, dropped, nonFiniteGradient: badGrad === null ? null : `${model}.${badGrad}` };
  }

  /** Both models and optimisers as named tensors (`ebm.`, `ebm_optim.`, `flow.`, `flow_optim.`). */
  stateTensors(): Record<string, NamedTensor> {
    const out: Record<string, NamedTensor> = {
      ...stateDictTensors(this.ebm.stateDict(), "ebm."),
      ...stateDictTensors(this.ebmOpt.stateDict(), "ebm_optim."),
      ...stateDictTensors(this.flowOpt.stateDict(), "flow_optim."),
      "steps.ebm": { dtype: "F64", shape: [1], data: new Float64Array([this.ebmOpt.stepCount]) },
      "steps.flow": { dtype: "F64", shape: [1], data: new Float64Array([this.flowOpt.stepCount]) },
    };
    for (const [k, v] of Object.entries(this.flow.stateTensors())) out[`flow.${k}`] = v;
    return out;
  }

  /** Restores {@link FceTrainer.stateTensors}. */
  restore(tensors: Record<string, NamedTensor>, source: string): void {
    const need = (k: string) => {
      if (!tensors[k]) throw new Error(`Cannot restore FCE training from ${source}: tensor '${k}' is missing`);
      return Number(tensors[k].data[0]);
    };
    this.ebm.loadStateDict(tensorsToStateDict(tensors, "ebm."), source);
    const flow: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(tensors)) if (k.startsWith("flow.")) flow[k.slice(5)] = v;
    this.flow.loadStateTensors(flow, source);
    this.ebmOpt.loadStateDict(tensorsToStateDict(tensors, "ebm_optim."), this.config.lr_ebm, need("steps.ebm"), source);
    this.flowOpt.loadStateDict(tensorsToStateDict(tensors, "flow_optim."), this.config.lr_flow, need("steps.flow"), source);
  }

  /** The first non-finite parameter (`ebm.<key>` / `flow.<key>`), or null. */
  firstNonFinite(): string | null {
    const e = firstNonFiniteParam(this.ebm.params);
    if (e) return `ebm.${e}`;
    const f = this.flow.firstNonFiniteParam();
    return f ? `flow.${f}` : null;
  }

  dispose(): void {
    this.ebm.dispose();
    this.flow.dispose();
    this.ebmOpt.dispose();
    this.flowOpt.dispose();
  }
}

/** Options of {@link runFceTraining}: the step context's parts it uses. */
export interface FceRunOptions {
  config: TrainFceConfig;
  /** Training points [N, 2] and the name of their dataset (`8gaussians` enables `mse_logp`). */
  points: Float32Array;
  dataset: string;
  seed: number;
  resumeDir: string;
  outDir: string;
  log: Logger;
  progress: Progress;
  signal?: AbortSignal;
  backend?: string;
  /** Called after each step is fully recorded (tests use it to simulate a kill). */
  afterStep?: (iter: number) => void | Promise<void>;
}

/** Runs (or resumes) FCE training; writes the outputs into outDir and returns the summary for metrics.json. */
export async function runFceTraining(o: FceRunOptions): Promise<Record<string, number | string | boolean | null>> {
  const { config: c, points } = o;
  const started = performance.now();
  const n = points.length / 2;
  if (n < 1) throw new Error("Cannot train FCE: the point set is empty");
  const perEpoch = Math.ceil(n / c.batch);
  const total = c.steps ?? c.epochs * perEpoch;
  const workDir = `${o.resumeDir}/work`, statePath = `${o.resumeDir}/${STATE_FILE}`;
  await Deno.mkdir(workDir, { recursive: true });
  const configJson = JSON.stringify(c);

  const { ebm, flow } = createFceModels(c, o.seed);
  const trainer = new FceTrainer(ebm, flow, c);
  try {
    const is8g = o.dataset === "8gaussians";
    const evalPoints = is8g ? sampleToy2d("8gaussians", c.eval_samples, streamFor(o.seed, 0, "toy-data")) : null;
    const evalExact = evalPoints ? eightGaussiansLogDensities(evalPoints) : null;

    let start = 0, model: "ebm" | "flow" = "ebm", priorSeconds = 0, skippedInARow = 0;
    if (await exists(statePath)) {
      const { tensors, metadata } = decodeSafetensors(await Deno.readFile(statePath), `'${statePath}'`);
      if (metadata.config !== configJson) {
        throw new Error(`Cannot resume from '${statePath}': it was written with a different config (${metadata.config}); delete the resume directory to start over`);
      }
      trainer.restore(tensors, `'${statePath}'`);
      start = Number(metadata.iteration);
      model = metadata.next_model === "flow" ? "flow" : "ebm";
      priorSeconds = Number(metadata.train_seconds ?? 0);
      o.log.info(`Resuming at step ${start + 1} of ${total} from ${statePath}`);
    }
    let lastGood = start;
    const metrics = await MetricsLog.open<FceRecord>(`${workDir}/${FCE_METRICS_FILE}`, start, parseFceMetrics);
    let trainSeconds = priorSeconds;
    let order: Int32Array | null = null, orderEpoch = -1;
    const batchData = new Float32Array(2 * c.batch);
    try {
      for (let iter = start + 1; iter <= total; iter++) {
        if (o.signal?.aborted) throw new Error(`Training stopped at step ${iter}: the run was cancelled`);
        const t0 = performance.now();
        const epoch = Math.floor((iter - 1) / perEpoch), b = (iter - 1) % perEpoch;
        if (epoch !== orderEpoch) {
          order = streamFor(o.seed, epoch, "batch").permutation(n);
          orderEpoch = epoch;
        }
        const m = Math.min(c.batch, n - b * c.batch);
        for (let i = 0; i < m; i++) {
          const j = order![b * c.batch + i];
          batchData[2 * i] = points[2 * j];
          batchData[2 * i + 1] = points[2 * j + 1];
        }
        const x = tf.tensor2d(batchData.subarray(0, 2 * m), [m, 2]);
        const z = tf.tensor2d(streamFor(o.seed, iter, "sample").normalArray(2 * c.batch), [c.batch, 2]);
        let result: FceStepResult;
        try {
          if (iter === 1 && start === 0) flow.initialize(x); // Glow's ActNorm data-dependent init
          result = trainer.step(x, z, model, c.overflow);
        } finally {
          tf.dispose([x, z]);
        }
        if (result.dropped === c.batch) {
          throw new TrainingDivergedError(iter, `every one of the ${c.batch} flow samples overflowed float32: the flow has diverged`, lastGood);
        }
        if (result.nonFiniteGradient && c.overflow === "stop") {
          throw new TrainingDivergedError(iter, `the gradient of '${result.nonFiniteGradient}' is not finite (V = ${result.value} is; a flow sample may have overflowed in the backward pass: config 'overflow: drop' skips such a step)`, lastGood);
        }
        if (!Number.isFinite(result.value)) {
          throw new TrainingDivergedError(iter, `V = ${result.value} (log p or log q is not finite${c.overflow === "stop" ? "; a flow sample may have overflowed: config 'overflow: drop' leaves such samples out" : ""})`, lastGood);
        }
        if (!Number.isFinite(result.accuracy)) throw new TrainingDivergedError(iter, `accuracy = ${result.accuracy}`, lastGood);
        const record: FceRecord = { iter, epoch, model, value: result.value, accuracy: result.accuracy, seconds: 0 };
        if (result.dropped > 0) record.dropped = result.dropped;
        if (result.nonFiniteGradient) {
          record.skipped = true;
          skippedInARow++;
          if (skippedInARow === 1) o.log.warn(`step ${iter}: the gradient of '${result.nonFiniteGradient}' is not finite; the ${model} took no step (overflow: drop)`);
          if (skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
            throw new TrainingDivergedError(iter, `the gradient of '${result.nonFiniteGradient}' has not been finite for ${MAX_SKIPPED_IN_A_ROW} steps in a row: the ${model} cannot take a step any more (overflow: drop skips such steps one at a time)`, lastGood);
          }
        } else {
          skippedInARow = 0;
        }
        model = nextModel(result.accuracy, c.threshold);
        const seconds = (performance.now() - t0) / 1000;
        record.seconds = seconds;
        trainSeconds += seconds;
        if (evalPoints && (iter % c.eval_freq === 0 || iter === total)) {
          record.mse_logp = mseLogp(ebm, evalPoints, evalExact!);
          if (!Number.isFinite(record.mse_logp)) throw new TrainingDivergedError(iter, `mse_logp = ${record.mse_logp} (the EBM's log p is not finite)`, lastGood);
        }
        metrics.append(record);
        if (iter % c.checkpoint_freq === 0 || iter === total) {
          const bad = trainer.firstNonFinite();
          if (bad) throw new TrainingDivergedError(iter, `weight '${bad}' is not finite`, lastGood);
          await writeFileAtomic(statePath, encodeSafetensors(trainer.stateTensors(), {
            iteration: String(iter),
            next_model: model,
            seed: String(o.seed),
            config: configJson,
            train_seconds: String(trainSeconds),
            rng: `per-step streams derived from seed ${o.seed}; next step ${iter + 1}`,
          }));
          lastGood = iter;
        }
        if (iter === 1 || iter % c.log_freq === 0 || iter === total) {
          o.log.info(`step ${iter}/${total} (epoch ${epoch}): −V ${(-result.value).toFixed(4)}, accuracy ${result.accuracy.toFixed(3)}, stepped ${record.model}${record.mse_logp !== undefined ? `, mse_logp ${record.mse_logp.toFixed(4)}` : ""}, ${seconds.toFixed(3)} s`);
        }
        o.progress.update(iter, total, "step");
        await o.afterStep?.(iter);
      }
    } finally {
      metrics.close();
    }

    // Final outputs: the two models in the seed's keys, the density grids, the summary.
    const meta = {
      flow: c.flow, dataset: o.dataset, iteration: String(total), seed: String(o.seed),
      ebm_hidden: String(c.ebm_hidden), config: configJson,
    };
    await writeFileAtomic(`${workDir}/${FCE_EBM_FILE}`, encodeSafetensors(stateDictTensors(ebm.stateDict(), ""), meta));
    await writeFileAtomic(`${workDir}/${FCE_FLOW_FILE}`, encodeSafetensors(flow.stateTensors(), meta));
    const axis = gridAxis(c.grid_extent, c.grid_res);
    const grid = gridPoints(axis);
    await writeFceDensities(`${workDir}/${FCE_DENSITIES_FILE}`, {
      resolution: c.grid_res,
      extent: c.grid_extent,
      ebm: Float32Array.from(ebmLogDensity(ebm, grid)),
      flow: Float32Array.from(flowLogDensity(flow, grid)),
    }, { dataset: o.dataset, flow: c.flow, iteration: String(total) });
    const summary = {
      ...summarizeFce(metrics.records, c.summary_fraction),
      dataset: o.dataset,
      flow: c.flow,
      wall_seconds: trainSeconds,
      elapsed_seconds: (performance.now() - started) / 1000,
      seconds_per_step: trainSeconds / total,
      resumed_from: start,
      backend: o.backend ?? "unknown",
    };
    await moveContents(workDir, o.outDir);
    return summary;
  } finally {
    trainer.dispose();
  }
}
