/**
 * Sampling a trained image EBM (the paper's eval, SPEC §3), shared by `longrun-sample` and
 * `eval-sample`: load the checkpoint, initialise chains from data / uniform / gaussian / the
 * training bank, run ULA or MALA at T = temp_factor·ε_train²/2 in chunks of `log_freq` steps
 * (a grid per chunk), and write the outputs. `epsilon: 0` runs plain gradient descent
 * `x ← x − ∇(f/T)` (ULA only), as the paper's eval.py does.
 *
 * Outputs: `initial.png`, `final.png`, `samples/samples_<step>.png` every `log_freq` steps,
 * `final_states.safetensors` (tensor `states` [N, H, W, C]), `records.json`
 * (`{ step, energy, grad_norm, acceptance? }` columns, one entry per step: batch means of f/T
 * and of the per-image ‖(ε²/2)∇(f/T)‖ at the state each step started from, MALA acceptance rate;
 * drawn by `plot-sampling`), `chains.safetensors` (the same per chain, as the paper's eval.py
 * records them; `lib/artifacts/sampling_chains.ts`), and
 * metrics.json (`initial_mean_energy`, `final_mean_energy` (batch means of f, not f/T), `mean_acceptance` (MALA),
 * `temperature`, `steps`, `seconds`, `seconds_per_step`, `resumed_from`, `backend`).
 *
 * Resumable like training: grids go first to `<resumeDir>/work/`, and after every chunk of
 * `log_freq` steps the chains, the records so far and the elapsed time go to
 * `<resumeDir>/sampling_state.safetensors`. A re-run of the same step (after a kill) continues
 * from the last chunk. Each chunk draws its noise from its own stream (seed, chunk), so a
 * resumed run gives exactly the states of an uninterrupted one.
 *
 * @example
 * ```ts ignore
 * import { runSampling } from "./sampling.ts";
 * await runSampling(ctx); // ctx.config: LongrunSampleConfig
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TaskContext } from "../task.ts";
import { createNet, type EnergyNet } from "../nets/net.ts";
import { mala, ula, type StepRecord } from "../ebm/langevin.ts";
import { encodeSafetensors, readSafetensors } from "../util/safetensors.ts";
import { exists, writeFileAtomic } from "../util/fs.ts";
import type { Random } from "../util/random.ts";
import { readImageDataset } from "../data/dataset_file.ts";
import { writeGridPng } from "../data/image_grid.ts";
import { samplingTemperature, type SamplingConfig } from "./config.ts";
import { findCheckpoint, findDatasetInput } from "./task_io.ts";
import { BANK_FILE, readBankFile, readCheckpoint } from "../artifacts/checkpoint.ts";
import { FINAL_STATES_FILE, RECORDS_FILE, writeFinalStates, writeSamplingRecords } from "../artifacts/sampling_records.ts";
import { CHAINS_FILE, joinChainChunks, writeChainChunk } from "../artifacts/sampling_chains.ts";
import { distinctIndices, gatherRows } from "./chains.ts";
import { streamFor } from "./streams.ts";

/**
 * Loads a checkpoint written by train-ebm or a PyTorch state_dict (`.pth`/`.pt`, or converted to
 * safetensors), with the network shape of the step's config (`net_type`, `im_ch`, `n_f`), which a
 * checkpoint's metadata must match.
 */
export async function loadNet(path: string, config: SamplingConfig): Promise<EnergyNet> {
  const ck = await readCheckpoint(path, { net_type: config.net_type, n_c: config.im_ch, n_f: config.n_f }, "the step's config (n_c: 'im_ch')");
  const net = createNet(ck.shape.net_type, ck.shape, config.seed);
  net.loadStateDict(ck.stateDict, `'${path}'`);
  return net;
}

/** Initial chain states for `mcmc_init`. */
async function initialStates(ctx: TaskContext<SamplingConfig>, rng: Random): Promise<Float32Array> {
  const c = ctx.config, size = c.batch_size * c.im_sz * c.im_sz * c.im_ch;
  switch (c.mcmc_init) {
    case "uniform":
      return rng.uniformArray(size, -1, 1);
    case "gaussian":
      return rng.normalArray(size);
    case "data": {
      const data = await readImageDataset(findDatasetInput(ctx));
      const [n, h, w, ch] = data.shape;
      if (h !== c.im_sz || ch !== c.im_ch) throw new Error(`Cannot start chains from data: config im_sz ${c.im_sz} / im_ch ${c.im_ch} disagree with the dataset's ${h}×${w}×${ch}`);
      return gatherRows(data.images, h * w * ch, distinctIndices(rng, c.batch_size, n));
    }
    case "bank": {
      const rowSize = c.im_sz * c.im_sz * c.im_ch;
      const bank = await readBankFile(`${ctx.inputWith(BANK_FILE, "Cannot start chains from the bank").dir}/${BANK_FILE}`, rowSize);
      return gatherRows(bank.states, rowSize, distinctIndices(rng, c.batch_size, bank.states.length / rowSize));
    }
  }
}

/** Where a sampling run stands: restored from the resume state, or fresh. */
interface SamplingProgress {
  x: Float32Array;
  done: number;
  records: StepRecord[];
  initialEnergy: number;
  seconds: number;
  resumedFrom: number;
}

const STATE_FILE = "sampling_state.safetensors";

/** Writes the resumable state after a chunk (atomic: a kill leaves the previous chunk's state). */
async function saveState(path: string, p: SamplingProgress, shape: number[], fingerprint: string): Promise<void> {
  const n = p.records.length;
  const column = (pick: (r: StepRecord) => number) => Float64Array.from(p.records, pick);
  await writeFileAtomic(path, encodeSafetensors({
    states: { dtype: "F32", shape, data: p.x },
    energy: { dtype: "F64", shape: [n], data: column((r) => r.energy) },
    grad_norm: { dtype: "F64", shape: [n], data: column((r) => r.gradNorm) },
    acceptance: { dtype: "F64", shape: [n], data: column((r) => r.acceptRate ?? NaN) },
  }, { done: String(p.done), initial_energy: String(p.initialEnergy), seconds: String(p.seconds), run: fingerprint }));
}

/** The saved state if it belongs to this run (same config and checkpoint), else null. */
async function loadState(path: string, fingerprint: string, withAcceptance: boolean): Promise<SamplingProgress | null> {
  if (!(await exists(path))) return null;
  const { tensors, metadata } = await readSafetensors(path);
  if (metadata.run !== fingerprint) {
    throw new Error(`Cannot resume from '${path}': it was written by a run with a different config or checkpoint; delete it to start over`);
  }
  const energy = tensors.energy.data as Float64Array, gradNorm = tensors.grad_norm.data as Float64Array;
  const acceptance = tensors.acceptance.data as Float64Array;
  const records: StepRecord[] = Array.from(energy, (e, i) => ({
    step: i + 1,
    energy: e,
    gradNorm: gradNorm[i],
    ...(withAcceptance ? { acceptRate: acceptance[i] } : {}),
  }));
  const done = Number(metadata.done);
  return { x: Float32Array.from(tensors.states.data as Float32Array), done, records, initialEnergy: Number(metadata.initial_energy), seconds: Number(metadata.seconds), resumedFrom: done };
}

/** Runs the sampling task end to end (see the module doc). */
export async function runSampling(ctx: TaskContext<SamplingConfig>): Promise<void> {
  const c = ctx.config;
  if (c.use_mh_langevin && c.epsilon === 0) {
    throw new Error("Cannot read config 'epsilon': 0 means plain gradient descent, which has no Metropolis–Hastings variant; set a positive epsilon or use_mh_langevin: false");
  }
  const path = findCheckpoint(ctx, c.net_weight_path);
  const net = await loadNet(path, c);
  const shape = [c.batch_size, c.im_sz, c.im_sz, c.im_ch];
  const gridShape = { n: c.batch_size, height: c.im_sz, width: c.im_sz, channels: c.im_ch };
  const temperature = samplingTemperature(c);
  const workDir = `${ctx.resumeDir}/work`;
  const statePath = `${ctx.resumeDir}/${STATE_FILE}`;
  const runKey = JSON.stringify({ config: c, checkpoint: path, seed: ctx.seed });
  let progress = await loadState(statePath, runKey, c.use_mh_langevin);
  if (progress) {
    ctx.log.info(`Resuming at step ${progress.done + 1} of ${c.num_mcmc_steps} from ${statePath}`);
  } else {
    const init = await initialStates(ctx, streamFor(ctx.seed, 0, "init"));
    await Deno.mkdir(workDir, { recursive: true });
    await writeGridPng(`${workDir}/initial.png`, init, gridShape);
    const initialEnergy = tf.tidy(() => tf.mean(net.energy(tf.tensor(init, shape))).dataSync()[0]);
    progress = { x: init, done: 0, records: [], initialEnergy, seconds: 0, resumedFrom: 0 };
  }
  ctx.log.info(`Sampling ${c.batch_size} chains from ${c.mcmc_init} with ${c.use_mh_langevin ? "MALA" : "ULA"}, ε ${c.epsilon}, T ${temperature.toExponential(3)}, ${c.num_mcmc_steps} steps (${path})`);

  const { records } = progress;
  let x: tf.Tensor = tf.tensor(progress.x, shape);
  try {
    while (progress.done < c.num_mcmc_steps) {
      const t0 = performance.now();
      const chunk = Math.floor(progress.done / c.log_freq);
      const steps = Math.min(c.log_freq, c.num_mcmc_steps - progress.done);
      const options = { steps, epsilon: c.epsilon, temperature, rng: streamFor(ctx.seed, chunk + 1, "sample") };
      const result = c.use_mh_langevin ? mala(net, x, options) : ula(net, x, options);
      x.dispose();
      x = result.x;
      const chainEnergy = new Float32Array(steps * c.batch_size), chainGradNorm = new Float32Array(steps * c.batch_size);
      result.records.forEach((r, i) => {
        chainEnergy.set(r.chainEnergy!, i * c.batch_size);
        chainGradNorm.set(r.chainGradNorm!, i * c.batch_size);
        records.push({ step: r.step + progress!.done, energy: r.energy, gradNorm: r.gradNorm, ...(r.acceptRate !== undefined ? { acceptRate: r.acceptRate } : {}) });
      });
      await writeChainChunk(`${workDir}/chains`, chunk, chainEnergy, chainGradNorm, steps, c.batch_size);
      progress.done += steps;
      const last = records[records.length - 1];
      if (!Number.isFinite(last.energy)) throw new Error(`Sampling diverged at step ${progress.done}: mean energy ${last.energy}`);
      progress.x = x.dataSync() as Float32Array;
      progress.seconds += (performance.now() - t0) / 1000;
      await writeGridPng(`${workDir}/samples/samples_${String(progress.done).padStart(7, "0")}.png`, progress.x, gridShape);
      await saveState(statePath, progress, shape, runKey);
      ctx.progress.update(progress.done, c.num_mcmc_steps, "step");
      if (ctx.signal.aborted) throw new Error(`Sampling stopped at step ${progress.done}: the run was cancelled (re-run the step to resume)`);
    }
    const { seconds } = progress;
    const states = Float32Array.from(x.dataSync() as Float32Array);
    const finalEnergy = tf.tidy(() => tf.mean(net.energy(x)).dataSync()[0]);
    await Deno.rename(`${workDir}/initial.png`, `${ctx.outDir}/initial.png`);
    if (await exists(`${workDir}/samples`)) await Deno.rename(`${workDir}/samples`, `${ctx.outDir}/samples`);
    await writeGridPng(`${ctx.outDir}/final.png`, states, gridShape);
    await writeFinalStates(`${ctx.outDir}/${FINAL_STATES_FILE}`, states, shape, { checkpoint: path, config: JSON.stringify(c) });
    const columns = {
      step: records.map((r) => r.step),
      energy: records.map((r) => r.energy),
      grad_norm: records.map((r) => r.gradNorm),
      ...(c.use_mh_langevin ? { acceptance: records.map((r) => r.acceptRate ?? NaN) } : {}),
    };
    await writeSamplingRecords(`${ctx.outDir}/${RECORDS_FILE}`, columns);
    await joinChainChunks(`${workDir}/chains`, Math.ceil(c.num_mcmc_steps / c.log_freq), `${ctx.outDir}/${CHAINS_FILE}`, { temperature });
    const acceptance = columns.acceptance;
    await ctx.writeMetrics({
      initial_mean_energy: progress.initialEnergy,
      final_mean_energy: finalEnergy,
      mean_acceptance: acceptance ? acceptance.reduce((a, b) => a + b, 0) / Math.max(1, acceptance.length) : null,
      temperature,
      steps: c.num_mcmc_steps,
      seconds,
      seconds_per_step: c.num_mcmc_steps ? seconds / c.num_mcmc_steps : 0,
      resumed_from: progress.resumedFrom,
      backend: ctx.backend,
    });
  } finally {
    x.dispose();
    net.dispose();
  }
}
