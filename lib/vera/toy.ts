/**
 * VERA and its short-run-Langevin baseline on the 2-D datasets (`vera-toy`), as two
 * {@link TrainingProblem}s on the same EBM (the seed's MLP 2→100→100→1, LeakyReLU 0.2, `mlp`):
 *
 * - {@link VeraToyProblem}: the seed's unsupervised VERA (lib/vera/trainer.ts) with its toy
 *   generator (noise_dim → h_dim → h_dim, BatchNorm + ReLU → 2);
 * - {@link PcdToyProblem}: the anatomy paper's convergent recipe (SPEC §1) — a persistent bank of
 *   `s_t_0_size` chains, `num_mcmc_steps` steps of `x ← x − ∇U(x) + ε·N(0, I)` per iteration, loss
 *   (2/ε²)(mean U(x+) − mean U(x−)), SGD with lr·ε²/2 (noise-invariant tuning) or Adam — with ε
 *   set from the data's local standard deviation along its most constrained direction (the
 *   paper's prescription; the pipeline states each dataset's value). The network's output U is at
 *   temperature ε²/2, so the stored energy is E = (2/ε²)·U (the last layer scaled).
 *
 * Both draw each batch from the upstream point set (`toy-2d`), both write the same outputs:
 * `ebm.safetensors` (the ENERGY E as `f.0.weight` [100, 2] … `f.4.bias`, log p = −E − c, c not
 * learned; lib/artifacts/checkpoint.ts reads it), `samples.safetensors` (the sampler's points:
 * generator samples for VERA, the persistent chains for the baseline; a point set),
 * `landscape.json` (lib/artifacts/landscape_file.ts: "true" = the exact density for 8gaussians,
 * a KDE of data points otherwise; "ebm" = exp(−E) normalised on the grid; "kde" = a KDE of the
 * sampler's points), and metrics: `mse_logp` (8gaussians: the centred MSE between −E and the
 * exact log-density over `eval_points` training points (evenly strided through the set), {@link centredMse}), `kl_true_ebm`,
 * `kl_true_kde`.
 *
 * @example
 * ```ts ignore
 * const problem = new VeraToyProblem(config, points, "8gaussians", ctx.seed, ctx.pool);
 * await trainInStep(ctx, problem, { numIters: config.n_iters, … });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import { createNet, type EnergyNet, type StateDict } from "../nets/net.ts";
import { toyGeneratorArch } from "../nets/generator.ts";
import { firstNonFiniteParam } from "../nets/ops.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import type { WorkerPool } from "../pool/pool.ts";
import { eightGaussiansLogDensities, eightGaussiansLogDensity, TOY_2D_EXTENT } from "../data/toy_2d.ts";
import { gridAxis, gridKL, gridPoints, normaliseLogGrid } from "../data/toy.ts";
import { SAMPLES_FILE, writePointSet } from "../data/point_set_file.ts";
import { writeCheckpoint } from "../artifacts/checkpoint.ts";
import { LANDSCAPE_FILE, type ToyLandscape, writeLandscapeFile } from "../artifacts/landscape_file.ts";
import { NetAndOptimizer, restoreWithBank, stateWithBank } from "../train/model.ts";
import { distinctIndices, gatherRows, runChains } from "../train/chains.ts";
import { streamFor } from "../train/streams.ts";
import { kdeOnGrid } from "../train/kde.ts";
import type { TrainingProblem } from "../train/loop.ts";
import { OptimizerType } from "../train/config.ts";
import { sigmaRange, VERA_KNOBS } from "./config.ts";
import { VeraGenerator } from "./generator.ts";
import { energyModel, VeraTrainer } from "./trainer.ts";
import { writeGeneratorFile } from "./files.ts";

/** File names of the toy steps' outputs. */
export const EBM_FILE = "ebm.safetensors";

const count = () => z.number().int().positive();

/** Settings shared by both toy problems (ours). */
const ToyCommon = {
  /** Training iterations (= parameter updates of the EBM); the seed's toy `n_epochs` (one batch per epoch). */
  n_iters: count().default(20000),
  /** Log and checkpoint every this many iterations. */
  log_every: count().default(500),
  /** Training points the MSE is averaged over (an evenly strided subset of the point set). */
  eval_points: count().default(10000),
  /** Points of the sampler written to samples.safetensors and used for its KDE. */
  n_samples_out: count().default(2000),
  /** Landscape grid resolution over [−4, 4]² (the seed's density plots). */
  viz_res: z.number().int().min(2).default(100),
  /** KDE bandwidth factor (scipy's gaussian_kde definition). */
  kde_bw: z.number().positive().default(0.1),
  /** Number of the last iterations summarised in metrics.json. */
  summary_window: count().default(2000),
  /** Hidden width of the EBM (the seed's h_dim). */
  h_dim: count().default(100),
};

/** Config of `train-vera-toy`: the seed's knobs plus the toy settings. */
export const VeraToyConfig = z.strictObject({ ...VERA_KNOBS, ...ToyCommon }).refine(...sigmaRange);
export type VeraToyConfig = z.output<typeof VeraToyConfig>;

/** Config of `train-pcd-toy`: the anatomy paper's convergent recipe on the same EBM. */
export const PcdToyConfig = z.strictObject({
  ...ToyCommon,
  batch_size: count().default(200),
  /** Langevin step ε; the paper: about the data's local sd along its most constrained direction. */
  epsilon: z.number().positive(),
  num_mcmc_steps: count().default(500),
  /** Persistent bank size (the paper's toy `s_t_0_size`). */
  s_t_0_size: count().default(10000),
  /** The bank starts U(−bank_init_range, bank_init_range)² (ours: the data's square; the paper's U(−1, 1) fits its unit-scale data). */
  bank_init_range: z.number().positive().default(TOY_2D_EXTENT),
  optimizer_type: OptimizerType.default("sgd"),
  /** Learning rate; with SGD multiplied by ε²/2 (noise-invariant tuning), as the paper does. */
  lr_init: z.number().positive().default(0.1),
});
export type PcdToyConfig = z.output<typeof PcdToyConfig>;

/** Mean squared error after removing the mean difference: MSE of log p up to its unknown constant. */
export function centredMse(logp: ArrayLike<number>, exact: ArrayLike<number>): number {
  const n = logp.length;
  if (n !== exact.length || n === 0) throw new Error(`Cannot compute the log-density MSE: ${n} model values vs ${exact.length} exact ones`);
  let m = 0;
  for (let i = 0; i < n; i++) m += logp[i] - exact[i];
  m /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (logp[i] - exact[i] - m) ** 2;
  return s / n;
}

/** −E(x) on interleaved points, in chunks; `scale` multiplies the network output (E = scale·net). */
export function logDensityOf(net: EnergyNet, points: Float32Array, scale = 1, chunk = 10000): Float64Array {
  const n = points.length / 2, out = new Float64Array(n);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const v = tf.tidy(() => net.energy(tf.tensor2d(points.subarray(2 * s, 2 * (s + m)), [m, 2])).dataSync());
    for (let i = 0; i < m; i++) out[s + i] = -scale * v[i];
  }
  return out;
}

/** The data side of a toy run: the points, batches, and the reference density on the grid. */
class ToyData {
  readonly n: number;
  readonly evalPoints: Float32Array;
  readonly evalExact: Float64Array | null;
  constructor(readonly points: Float32Array, readonly dataset: string, evalCount: number) {
    this.n = points.length / 2;
    if (this.n < 2) throw new Error(`Cannot train on '${dataset}': the point set has ${this.n} point(s)`);
    // An evenly strided subset: point sets may be ordered (2spirals writes one arm, then the other).
    const m = Math.min(evalCount, this.n);
    this.evalPoints = gatherRows(points, 2, Int32Array.from({ length: m }, (_, i) => Math.floor((i * this.n) / m)));
    this.evalExact = dataset === "8gaussians" ? eightGaussiansLogDensities(this.evalPoints) : null;
  }
  /** A batch of `b` points, drawn with replacement from the stream of iteration `iter`. */
  batch(b: number, seed: number, iter: number): Float32Array {
    return gatherRows(this.points, 2, streamFor(seed, iter, "batch").indices(b, this.n));
  }
}

interface SamplerOutput {
  /** Interleaved sampler points. */
  samples: Float32Array;
  /** −E on the grid points and on the eval points. */
  gridLogp: Float64Array;
  evalLogp: Float64Array;
}

/** Landscape, metrics and files shared by both problems. */
async function finishToy(dir: string, data: ToyData, out: SamplerOutput, c: { viz_res: number; kde_bw: number }, pool: WorkerPool, iteration: number, ebm: StateDict, meta: { seed: number; config: unknown; n_f: number }): Promise<Record<string, number | string | null>> {
  const res = c.viz_res, xs = gridAxis(TOY_2D_EXTENT, res), cell = (xs[1] - xs[0]) ** 2;
  let trueDensity: Float64Array;
  if (data.dataset === "8gaussians") {
    trueDensity = new Float64Array(res * res);
    for (let iy = 0; iy < res; iy++) for (let ix = 0; ix < res; ix++) trueDensity[iy * res + ix] = Math.exp(eightGaussiansLogDensity(xs[ix], xs[iy]));
  } else {
    trueDensity = await kdeOnGrid(pool, Float64Array.from(data.evalPoints), xs, xs, c.kde_bw);
  }
  const trueMass = normalise(trueDensity);
  const ebmMass = normaliseLogGrid(out.gridLogp);
  const kde = await kdeOnGrid(pool, Float64Array.from(out.samples), xs, xs, c.kde_bw);
  const kdeMass = normalise(kde);
  const log = (a: Float64Array) => a.map((v) => Math.log(Math.max(v, Number.MIN_VALUE)));
  const ebmDensity = ebmMass.map((m) => m / cell);
  const landscape: ToyLandscape = {
    iteration, resolution: res, extent: TOY_2D_EXTENT,
    kl_true_ebm: gridKL(trueMass, ebmMass), kl_true_kde: gridKL(trueMass, kdeMass),
    true_density: trueDensity, true_log_density: log(trueDensity),
    ebm_density: ebmDensity, ebm_log_density: log(ebmDensity),
    kde_density: kde, kde_log_density: log(kde),
  };
  await writeLandscapeFile(`${dir}/${LANDSCAPE_FILE}`, landscape);
  await writePointSet(`${dir}/${SAMPLES_FILE}`, { points: out.samples, dim: 2, dataset: `${data.dataset}-samples` }, { seed: String(meta.seed) });
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(ebm)) tensors[k] = { dtype: "F32", shape: v.shape, data: v.data };
  await writeCheckpoint(`${dir}/${EBM_FILE}`, tensors, { iteration, seed: meta.seed, config: meta.config, net_type: "mlp", n_c: 2, n_f: meta.n_f });
  const mse = data.evalExact ? centredMse(out.evalLogp, data.evalExact) : null;
  return { dataset: data.dataset, mse_logp: mse, kl_true_ebm: landscape.kl_true_ebm, kl_true_kde: landscape.kl_true_kde };
}

function normalise(a: Float64Array): Float64Array {
  let s = 0;
  for (const v of a) s += v;
  return a.map((v) => v / s);
}

/** The seed's unsupervised VERA on one 2-D dataset. */
export class VeraToyProblem implements TrainingProblem {
  readonly net: EnergyNet;
  readonly gen: VeraGenerator;
  readonly trainer: VeraTrainer;
  readonly data: ToyData;
  /** The last iteration's statistics, for the log. */
  last: Record<string, number | null> = {};

  constructor(readonly config: VeraToyConfig, points: Float32Array, dataset: string, readonly seed: number, readonly pool: WorkerPool) {
    this.data = new ToyData(points, dataset, config.eval_points);
    this.net = createNet("mlp", { n_c: 2, n_f: config.h_dim }, seed);
    this.gen = new VeraGenerator(toyGeneratorArch(config.noise_dim, 2, config.h_dim), config, seed + 1);
    this.trainer = new VeraTrainer(energyModel(this.net), this.gen, config, 1);
  }

  iterate(iter: number): Promise<{ d_t: number; r_t: number }> {
    const x = tf.tensor2d(this.data.batch(this.config.batch_size, this.seed, iter), [this.config.batch_size, 2]);
    try {
      const s = this.trainer.iterate(iter - 1, x, streamFor(this.seed, iter, "sample"));
      this.last = { ent_gn: s.ent_gn, sigma: s.sigma, post_sigma: s.post_sigma, hmc_accept: s.hmc_accept };
      return Promise.resolve({ d_t: s.d_t, r_t: s.r_t });
    } finally {
      x.dispose();
    }
  }

  logArtifacts(): Promise<void> {
    return Promise.resolve();
  }

  stateTensors(): Promise<Record<string, NamedTensor>> {
    return Promise.resolve(this.trainer.stateTensors());
  }

  restoreState(t: Record<string, NamedTensor>): Promise<void> {
    this.trainer.restore(t, "the resume checkpoint");
    return Promise.resolve();
  }

  firstNonFiniteWeight(): Promise<string | null> {
    return Promise.resolve(firstNonFiniteParam([...this.net.params, ...this.gen.params]));
  }

  /** Generator samples in batches of batch_size (training-mode BatchNorm, as the seed draws them). */
  generatorSamples(n: number): Float32Array {
    const b = this.config.batch_size, out = new Float32Array(2 * n), rng = streamFor(this.seed, 0, "sample");
    for (let s = 0; s < n; s += b) {
      const { x, h, mu, xi } = this.gen.sample(b, rng);
      const v = x.dataSync() as Float32Array;
      out.set(v.subarray(0, 2 * Math.min(b, n - s)), 2 * s);
      tf.dispose([x, h, mu, xi]);
    }
    return out;
  }

  async finish(dir: string): Promise<Record<string, number | string | boolean | null>> {
    const c = this.config, xs = gridAxis(TOY_2D_EXTENT, c.viz_res);
    const grid = gridPoints(xs);
    const out = { samples: this.generatorSamples(c.n_samples_out), gridLogp: logDensityOf(this.net, grid), evalLogp: logDensityOf(this.net, this.data.evalPoints) };
    await writeGeneratorFile(`${dir}/generator.safetensors`, this.gen, { seed: this.seed, config: c });
    const metrics = await finishToy(dir, this.data, out, c, this.pool, c.n_iters, this.net.stateDict(), { seed: this.seed, config: c, n_f: c.h_dim });
    return { ...metrics, method: "vera", final_sigma: this.gen.sigma() };
  }
}

/** The anatomy paper's convergent recipe (persistent short-run Langevin) on the same EBM. */
export class PcdToyProblem implements TrainingProblem {
  readonly model: NetAndOptimizer;
  readonly data: ToyData;
  bank: Float32Array;

  constructor(readonly config: PcdToyConfig, points: Float32Array, dataset: string, readonly seed: number, readonly pool: WorkerPool) {
    this.data = new ToyData(points, dataset, config.eval_points);
    this.model = new NetAndOptimizer(createNet("mlp", { n_c: 2, n_f: config.h_dim }, seed), config.optimizer_type);
    const r = config.bank_init_range;
    this.bank = streamFor(seed, 0, "bank-init").uniformArray(2 * config.s_t_0_size, -r, r);
  }

  /** The learning rate the loop passes: lr_init, times ε²/2 for SGD. */
  static effectiveLr(c: PcdToyConfig): number {
    return c.optimizer_type === "sgd" ? c.lr_init * c.epsilon * c.epsilon / 2 : c.lr_init;
  }

  iterate(iter: number, lr: number): Promise<{ d_t: number; r_t: number }> {
    const c = this.config;
    const pos = this.data.batch(c.batch_size, this.seed, iter);
    const rng = streamFor(this.seed, iter, "init");
    const idx = c.batch_size <= c.s_t_0_size ? distinctIndices(rng, c.batch_size, c.s_t_0_size) : rng.indices(c.batch_size, c.s_t_0_size);
    const run = runChains(this.model.net, gatherRows(this.bank, 2, idx), [c.batch_size, 2], c.num_mcmc_steps, c.epsilon, streamFor(this.seed, iter, "langevin"));
    for (let i = 0; i < idx.length; i++) this.bank.set(run.states.subarray(2 * i, 2 * i + 2), 2 * idx[i]);
    const posT = tf.tensor2d(pos, [c.batch_size, 2]), negT = tf.tensor2d(run.states, [c.batch_size, 2]);
    try {
      return Promise.resolve({ d_t: this.model.step(posT, negT, c.epsilon, lr), r_t: run.r_t });
    } finally {
      tf.dispose([posT, negT]);
    }
  }

  logArtifacts(): Promise<void> {
    return Promise.resolve();
  }

  stateTensors(): Promise<Record<string, NamedTensor>> {
    return Promise.resolve(stateWithBank(this.model, this.bank, [this.config.s_t_0_size, 2]));
  }

  restoreState(t: Record<string, NamedTensor>): Promise<void> {
    this.bank = restoreWithBank(this.model, t, this.bank)!;
    return Promise.resolve();
  }

  firstNonFiniteWeight(): Promise<string | null> {
    return Promise.resolve(this.model.firstNonFiniteWeight());
  }

  /** The stored energy E = (2/ε²)·U: the network's last layer scaled. */
  energyStateDict(): StateDict {
    const sd = this.model.net.stateDict(), s = 2 / (this.config.epsilon ** 2);
    for (const k of ["f.4.weight", "f.4.bias"]) sd[k] = { shape: sd[k].shape, data: sd[k].data.map((v) => v * s) };
    return sd;
  }

  async finish(dir: string): Promise<Record<string, number | string | boolean | null>> {
    const c = this.config, xs = gridAxis(TOY_2D_EXTENT, c.viz_res), s = 2 / (c.epsilon ** 2);
    const grid = gridPoints(xs);
    const n = Math.min(c.n_samples_out, c.s_t_0_size);
    const out = { samples: this.bank.slice(0, 2 * n), gridLogp: logDensityOf(this.model.net, grid, s), evalLogp: logDensityOf(this.model.net, this.data.evalPoints, s) };
    const metrics = await finishToy(dir, this.data, out, c, this.pool, c.n_iters, this.energyStateDict(), { seed: this.seed, config: c, n_f: c.h_dim });
    return { ...metrics, method: "pcd", epsilon: c.epsilon };
  }
}
