/**
 * The joint classifier-EBM's sampler (SPEC §6, seed 003's `sample`): chains from U(−1, 1), η steps
 * of `x ← x − α∇ₓE(x) + σ·N(0, I)`, clamped to [−1, 1] once after the last step (the seed's code)
 * or after every step. Noise is drawn on the host from a seeded {@link Random}, so chains do not
 * depend on the backend. Also reports r = mean over steps of the batch-mean per-row ‖∇ₓE‖₂.
 *
 * @example
 * ```ts ignore
 * import { hybridLangevin } from "./langevin.ts";
 * const { states, gradNorm } = hybridLangevin((x) => energyFromLogits(mlp.logits(x), "jem"),
 *   new Random(1).uniformArray(64 * 784, -1, 1), [64, 784], { steps: 50, alpha: 0.5, sigma: 0.05, clamp: "final", rng: new Random(2) });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../util/random.ts";

/** Settings of {@link hybridLangevin}. */
export interface HybridLangevinOptions {
  steps: number;
  alpha: number;
  sigma: number;
  /** `final`: clamp once after the last step (the seed); `step`: after every step. */
  clamp: "final" | "step";
  rng: Random;
}

/** A batched energy `[N, D] → [N]` (differentiable in x). */
export type BatchEnergy = (x: tf.Tensor2D) => tf.Tensor1D;

/** Clamps every value to [−1, 1] in place. */
export function clampUnit(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = x[i] < -1 ? -1 : x[i] > 1 ? 1 : x[i];
  return x;
}

/**
 * Runs the chains from host states `init` (`[N, D]`, not modified); returns the final host states
 * and r (the mean per-row gradient norm over the steps; 0 for 0 steps).
 */
export function hybridLangevin(energy: BatchEnergy, init: Float32Array, shape: [number, number], o: HybridLangevinOptions): { states: Float32Array; gradNorm: number } {
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new Error(`Cannot run Langevin: 'steps' must be a non-negative integer, got ${o.steps}`);
  for (const key of ["alpha", "sigma"] as const) {
    if (!Number.isFinite(o[key]) || o[key] < 0) throw new Error(`Cannot run Langevin: '${key}' must be a non-negative number, got ${o[key]}`);
  }
  const [n, d] = shape;
  if (init.length !== n * d) throw new Error(`Cannot run Langevin: ${init.length} initial values do not fill [${shape}]`);
  const grad = tf.grad((x: tf.Tensor) => tf.sum(energy(x as tf.Tensor2D)));
  let x = tf.tensor2d(init, shape);
  let normSum = 0;
  for (let step = 0; step < o.steps; step++) {
    const noise = tf.tensor2d(o.rng.normalArray(n * d), shape);
    const [next, norm] = tf.tidy(() => {
      const g = grad(x);
      const norms = tf.mean(tf.sqrt(tf.sum(tf.square(g), 1)));
      let y = tf.add(tf.sub(x, tf.mul(g, o.alpha)), tf.mul(noise, o.sigma));
      if (o.clamp === "step") y = tf.clipByValue(y, -1, 1);
      return [y, norms];
    });
    normSum += norm.dataSync()[0];
    tf.dispose([x, noise, norm]);
    x = next as tf.Tensor2D;
  }
  const states = Float32Array.from(x.dataSync() as Float32Array);
  x.dispose();
  if (o.clamp === "final") clampUnit(states);
  return { states, gradNorm: o.steps > 0 ? normSum / o.steps : 0 };
}
