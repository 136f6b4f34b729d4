/**
 * The training-Langevin update `x − ∇f(x) + ε·z` and its two diagnostics (mean energy, mean
 * per-image ‖∇f‖) as one tfjs kernel ({@link LANGEVIN_UPDATE}). The native backend runs it as a
 * single pass over the batch; every other backend gets the composed tfjs ops registered under
 * the same name, which are exactly the ops `langevinStep` used before, so seeded chains and
 * their statistics are unchanged on every backend.
 *
 * @example
 * ```ts ignore
 * const { energy, grad } = energyAndGrad(net, x);
 * const { next, stats } = langevinUpdate(x, grad, noise, energy, 0.015);
 * const [meanEnergy, meanGradNorm] = stats.dataSync();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { LANGEVIN_UPDATE } from "../tensor/kernels/kernel_names.ts";
import { composedKernelRegistrar, composedLangevinOps, composedLangevinUpdate } from "../tensor/kernels/composed_kernels.ts";

const registerComposed = composedKernelRegistrar([[LANGEVIN_UPDATE, composedLangevinUpdate]]);

/**
 * Registers the composed kernel for the active backend unless it has its own. Called by
 * {@link langevinUpdate}; cheap after the first call per backend.
 *
 * @example
 * ```ts
 * ensureLangevinUpdateKernel(); // e.g. before comparing backends in a test
 * ```
 */
export function ensureLangevinUpdateKernel(): void {
  registerComposed();
}

/**
 * `next = x − grad + ε·noise` and `stats = [mean(energy), mean per-image ‖grad‖₂]` (caller
 * disposes both). Not differentiable.
 *
 * @example
 * ```ts ignore
 * const { next, stats } = langevinUpdate(x, grad, noise, energy, 0.015);
 * ```
 */
export function langevinUpdate(x: tf.Tensor, grad: tf.Tensor, noise: tf.Tensor, energy: tf.Tensor1D, epsilon: number): { next: tf.Tensor; stats: tf.Tensor1D } {
  if (!Number.isFinite(epsilon)) throw new Error(`Cannot apply the Langevin update: 'epsilon' must be a finite number, got ${epsilon}`);
  const same = (t: tf.Tensor) => t.shape.length === x.shape.length && t.shape.every((d, i) => d === x.shape[i]);
  if (!same(grad) || !same(noise) || energy.shape.length !== 1 || energy.shape[0] !== x.shape[0]) {
    throw new Error(
      `Cannot apply the Langevin update: expected grad and noise of x's shape [${x.shape}] and energy [${x.shape[0]}], ` +
        `got grad [${grad.shape}], noise [${noise.shape}], energy [${energy.shape}]`,
    );
  }
  // Kernels take float32 only; other dtypes keep tfjs's own casting rules.
  if ([x, grad, noise, energy].some((t) => t.dtype !== "float32")) {
    const [next, stats] = composedLangevinOps(x, grad, noise, energy, epsilon);
    return { next, stats };
  }
  ensureLangevinUpdateKernel();
  const [next, stats] = tf.engine().runKernel(LANGEVIN_UPDATE, { x, grad, noise, energy }, { epsilon }) as tf.Tensor[];
  return { next, stats: stats as tf.Tensor1D };
}
