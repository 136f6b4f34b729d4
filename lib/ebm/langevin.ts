/**
 * Langevin samplers on an energy network (SPEC §1, §3), all batched and seeded:
 * - `shortRunLangevin` / `longRunLangevin`: the training sampler `x ← x − ∇f(x) + ε·N(0, I)`
 *   (energy implicitly at temperature ε²/2), with `r_t` = mean over steps of the batch-mean
 *   per-image ‖∇f‖₂;
 * - `ula`: `x ← x − (ε²/2)·∇(f/T) + ε·N(0, I)` at temperature T;
 * - `mala`: ULA proposals with a Metropolis–Hastings correction, acceptance rate per step.
 * Every sampler returns a new tensor (the caller owns it and the initial state) and leaves no
 * other tensors behind.
 *
 * @example
 * ```ts ignore
 * const rng = new Random(7);
 * const x0 = initStates("uniform", [100, 32, 32, 3], rng);
 * const { x, rT, records } = shortRunLangevin(net, x0, { steps: 100, epsilon: 0.015, rng });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EnergyNet } from "../nets/net.ts";
import { langevinUpdate } from "./langevin_update.ts";
import { fusedChainStack, fusedShortRun } from "./langevin_chain.ts";

/** Anything with a batched energy: an {@link EnergyNet}, or an analytic energy in tests. */
export type EnergyModel = Pick<EnergyNet, "energy">;
import type { Random } from "../util/random.ts";
import type { LangevinResult, SamplerOptions, SamplerResult, StepRecord } from "./sampler_types.ts";
export type { LangevinResult, SamplerOptions, SamplerResult, StepRecord } from "./sampler_types.ts";

function checkOptions(name: string, o: SamplerOptions): void {
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new Error(`Cannot run ${name}: 'steps' must be a non-negative integer, got ${o.steps}`);
  if (!Number.isFinite(o.epsilon) || o.epsilon < 0) throw new Error(`Cannot run ${name}: 'epsilon' must be a non-negative number, got ${o.epsilon}`);
  const every = o.recordEvery ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`Cannot run ${name}: 'recordEvery' must be a positive integer, got ${every}`);
}

/**
 * N(0, I) noise of `shape` drawn from `rng` (host-side, so streams do not depend on the backend).
 *
 * @example
 * ```ts ignore
 * const z = gaussianNoise([100, 32, 32, 3], new Random(1));
 * ```
 */
export function gaussianNoise(shape: number[], rng: Random): tf.Tensor {
  return tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
}

/**
 * Per-image L2 norms of a batch tensor [N, …] → [N].
 *
 * @example
 * ```ts ignore
 * const norms = perImageNorm(grad); // Tensor1D [N]
 * ```
 */
export function perImageNorm(g: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.reshape(g, [g.shape[0], -1])), 1)) as tf.Tensor1D);
}

/**
 * Energies f(x) [N] and ∇x Σf (caller disposes both).
 *
 * @example
 * ```ts ignore
 * const { energy, grad } = energyAndGrad(net, x);
 * ```
 */
export function energyAndGrad(net: EnergyModel, x: tf.Tensor): { energy: tf.Tensor1D; grad: tf.Tensor } {
  return tf.tidy(() => {
    const ones = tf.ones([x.shape[0]]) as tf.Tensor1D;
    const { value, grad } = tf.valueAndGrad<tf.Tensor, tf.Tensor1D>((a) => net.energy(a))(x, ones);
    return { energy: value as tf.Tensor1D, grad };
  });
}

/**
 * One training-Langevin update with the given noise: `x − ∇f(x) + ε·noise`.
 * Returns the new states (caller disposes), the batch-mean per-image ‖∇f(x)‖ and mean f(x).
 *
 * @example
 * ```ts ignore
 * const { x: next, gradNorm } = langevinStep(net, x, gaussianNoise(x.shape, rng), 0.015);
 * ```
 */
export function langevinStep(net: EnergyModel, x: tf.Tensor, noise: tf.Tensor, epsilon: number): { x: tf.Tensor; gradNorm: number; energy: number } {
  let stats!: Float32Array;
  const next = tf.tidy(() => {
    const { energy, grad } = energyAndGrad(net, x);
    // One kernel for the update and both statistics (a single pass on the native backend).
    const update = langevinUpdate(x, grad, noise, energy, epsilon);
    stats = update.stats.dataSync() as Float32Array;
    return update.next;
  });
  return { x: next, gradNorm: stats[1], energy: stats[0] };
}

/**
 * Short-run Langevin as in training (paper Algorithm 1): L steps of `x ← x − ∇f(x) + ε·N(0, I)`.
 * `records[i].energy` is the mean energy at the state the step started from. `x0` stays owned by
 * the caller; the result's `x` is a new tensor. Dense nets (ToyNet) run the whole chain as one
 * fused kernel where the backend has it (`langevin_chain.ts`; `EBM_FUSED_DENSE=0` turns it off).
 *
 * @example
 * ```ts ignore
 * const { x, rT } = shortRunLangevin(net, x0, { steps: 100, epsilon: 0.015, rng: new Random(1) });
 * ```
 */
export function shortRunLangevin(net: EnergyModel, x0: tf.Tensor, options: SamplerOptions): LangevinResult {
  checkOptions("Langevin", options);
  // Dense nets (ToyNet) on a backend with the fused chain kernel: the whole chain in one call.
  const stack = x0.rank === 2 && x0.dtype === "float32" ? fusedChainStack(net) : null;
  const fused = stack ? fusedShortRun(stack, x0, options) : null;
  if (fused) return fused;
  const every = options.recordEvery ?? 1;
  const records: StepRecord[] = [];
  let x = x0, normSum = 0;
  for (let s = 1; s <= options.steps; s++) {
    const noise = gaussianNoise(x.shape, options.rng);
    const step = langevinStep(net, x, noise, options.epsilon);
    noise.dispose();
    if (x !== x0) x.dispose();
    x = step.x;
    normSum += step.gradNorm;
    if (s % every === 0 || s === options.steps) {
      const r: StepRecord = { step: s, energy: step.energy, gradNorm: step.gradNorm };
      records.push(r);
      options.onRecord?.(r);
    }
  }
  return { x: x === x0 ? tf.clone(x0) : x, rT: options.steps > 0 ? normSum / options.steps : 0, records };
}

/**
 * Long-run Langevin (the paper's convergence check): the training update run for many steps;
 * records default to every 100 steps (use `onRecord` for progress).
 *
 * @example
 * ```ts ignore
 * const run = longRunLangevin(net, x0, { steps: 100_000, epsilon: 0.015, rng, onRecord: (r) => console.log(r.step, r.energy) });
 * ```
 */
export function longRunLangevin(net: EnergyModel, x0: tf.Tensor, options: SamplerOptions): LangevinResult {
  return shortRunLangevin(net, x0, { ...options, recordEvery: options.recordEvery ?? 100 });
}

/** Options of the temperature-scaled samplers. */
export interface TemperedOptions extends SamplerOptions {
  /** Temperature T: the target density is exp(−f/T). */
  temperature: number;
}

function checkTemperature(name: string, t: number): void {
  if (!Number.isFinite(t) || t <= 0) throw new Error(`Cannot run ${name}: 'temperature' must be a positive number, got ${t}`);
}

/**
 * Temperature of the paper's eval (SPEC §3): `temp_factor · train_epsilon²/2`, or `temp_factor`
 * when the model was trained without noise.
 *
 * @example
 * ```ts
 * evalTemperature(1, 7.5e-3); // 2.8125e-5
 * ```
 */
export function evalTemperature(tempFactor: number, trainEpsilon: number): number {
  return trainEpsilon > 0 ? tempFactor * trainEpsilon ** 2 / 2 : tempFactor;
}

/**
 * Unadjusted Langevin at temperature T: `x ← x − (ε²/2)·∇(f/T) + ε·N(0, I)`; with ε = 0, plain
 * gradient descent `x ← x − ∇(f/T)` (no noise drawn), as the paper's eval.py does. Records are
 * taken at the state each step starts from: per chain f/T and the norm of the gradient term, and
 * their batch means (`energy`, `gradNorm`, in units of f/T).
 *
 * @example
 * ```ts ignore
 * const T = evalTemperature(1, 0.0075);
 * const { x, records } = ula(net, x0, { steps: 1000, epsilon: 0.0075, temperature: T, rng });
 * ```
 */
export function ula(net: EnergyModel, x0: tf.Tensor, options: TemperedOptions): SamplerResult {
  checkOptions("ULA", options);
  checkTemperature("ULA", options.temperature);
  const every = options.recordEvery ?? 1;
  const T = options.temperature, descent = options.epsilon === 0;
  const drift = descent ? 1 / T : options.epsilon ** 2 / 2 / T;
  const records: StepRecord[] = [];
  let x = x0;
  for (let s = 1; s <= options.steps; s++) {
    const noise = descent ? null : gaussianNoise(x.shape, options.rng);
    let chainEnergy!: Float32Array, chainGradNorm!: Float32Array;
    const next = tf.tidy(() => {
      const { energy, grad } = energyAndGrad(net, x);
      const move = tf.mul(grad, drift);
      chainEnergy = tf.div(energy, T).dataSync() as Float32Array;
      chainGradNorm = perImageNorm(move).dataSync() as Float32Array;
      return noise ? tf.add(tf.sub(x, move), tf.mul(noise, options.epsilon)) : tf.sub(x, move);
    });
    noise?.dispose();
    if (x !== x0) x.dispose();
    x = next;
    if (s % every === 0 || s === options.steps) {
      const r: StepRecord = { step: s, energy: meanOf(chainEnergy), gradNorm: meanOf(chainGradNorm), chainEnergy, chainGradNorm };
      records.push(r);
      options.onRecord?.(r);
    }
  }
  return { x: x === x0 ? tf.clone(x0) : x, records };
}

function meanOf(a: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i];
  return a.length ? sum / a.length : NaN;
}

/**
 * Metropolis-adjusted Langevin at temperature T (SPEC §3): momentum p ~ N(0, I),
 * `x' = x − (ε²/2)∇U(x) + ε·p`, `p' = p − (ε/2)(∇U(x) + ∇U(x'))`, U = f/T; accept per chain when
 * `u < exp(H(x, p) − H(x', p'))`, H = U + ½‖p‖². As in the paper's eval.py, a step's record
 * holds f/T and the norm of (ε²/2)∇(f/T) at the state the step started from (per chain and their
 * means) and the step's acceptance fraction; one energy-and-gradient evaluation per step.
 * ε must be positive (with ε = 0 every proposal is the current state).
 *
 * @example
 * ```ts ignore
 * const { x, acceptRate } = mala(net, x0, { steps: 1000, epsilon: 0.0075, temperature: T, rng });
 * ```
 */
export function mala(net: EnergyModel, x0: tf.Tensor, options: TemperedOptions): SamplerResult & { acceptRate: number } {
  checkOptions("MALA", options);
  checkTemperature("MALA", options.temperature);
  if (!(options.epsilon > 0)) throw new Error(`Cannot run MALA: 'epsilon' must be positive (ε = 0 proposes the current state), got ${options.epsilon}`);
  const { epsilon: eps, temperature: T } = options;
  const every = options.recordEvery ?? 1;
  const n = x0.shape[0];
  const records: StepRecord[] = [];
  const evaluate = (x: tf.Tensor) =>
    tf.tidy(() => {
      const { energy, grad } = energyAndGrad(net, x);
      return { u: tf.div(energy, T) as tf.Tensor1D, g: tf.div(grad, T), energy };
    });
  let x = tf.clone(x0);
  let cur = evaluate(x);
  let accepted = 0;
  for (let s = 1; s <= options.steps; s++) {
    // The record of this step: the state it starts from.
    let chainEnergy!: Float32Array, chainGradNorm!: Float32Array;
    tf.tidy(() => {
      chainEnergy = cur.u.dataSync() as Float32Array;
      chainGradNorm = perImageNorm(tf.mul(cur.g, eps * eps / 2)).dataSync() as Float32Array;
    });
    const p = gaussianNoise(x.shape, options.rng);
    const uniforms = tf.tensor1d(Float32Array.from({ length: n }, () => options.rng.uniform()));
    const xProp = tf.tidy(() => tf.add(tf.sub(x, tf.mul(cur.g, eps * eps / 2)), tf.mul(p, eps)));
    const prop = evaluate(xProp);
    let stats!: Float32Array;
    const [xNext, uNext, gNext, eNext] = tf.tidy(() => {
      const pNew = tf.sub(p, tf.mul(tf.add(cur.g, prop.g), eps / 2));
      const half = (m: tf.Tensor) => tf.mul(tf.sum(tf.square(tf.reshape(m, [n, -1])), 1), 0.5);
      const h0 = tf.add(cur.u, half(p)), h1 = tf.add(prop.u, half(pNew));
      const accept = tf.less(tf.log(uniforms), tf.sub(h0, h1)); // u < exp(ΔH) without overflow
      const mask = tf.reshape(accept, [n, ...x.shape.slice(1).map(() => 1)]);
      const sel = (a: tf.Tensor, b: tf.Tensor) => tf.where(tf.broadcastTo(mask, a.shape), a, b);
      const energy = tf.where(accept, prop.energy, cur.energy);
      const g = sel(prop.g, cur.g);
      stats = tf.mean(tf.cast(accept, "float32")).dataSync() as Float32Array;
      return [sel(xProp, x), tf.where(accept, prop.u, cur.u), g, energy];
    });
    tf.dispose([p, uniforms, xProp, prop.u, prop.g, prop.energy, x, cur.u, cur.g, cur.energy]);
    x = xNext;
    cur = { u: uNext as tf.Tensor1D, g: gNext, energy: eNext as tf.Tensor1D };
    accepted += stats[0];
    if (s % every === 0 || s === options.steps) {
      const r: StepRecord = { step: s, energy: meanOf(chainEnergy), gradNorm: meanOf(chainGradNorm), acceptRate: stats[0], chainEnergy, chainGradNorm };
      records.push(r);
      options.onRecord?.(r);
    }
  }
  tf.dispose([cur.u, cur.g, cur.energy]);
  return { x, records, acceptRate: options.steps > 0 ? accepted / options.steps : 0 };
}
