/**
 * The fused training sampler: a whole short-run Langevin chain of a dense network as one kernel
 * ({@link DENSE_LANGEVIN_CHAIN}) where the backend has one (native: the project's C code), so
 * that ToyNet's chains run without per-operation dispatch. The noise is drawn on the host from
 * the same stream, in the same order, as the per-step sampler draws it, so a seeded chain is the
 * same chain on both paths (equal within float32 summation-order differences per step).
 *
 * `EBM_FUSED_DENSE=0` turns the fused path off (the per-step sampler runs instead; see
 * `fused_dense.ts`).
 *
 * @example
 * ```ts ignore
 * const stack = fusedChainStack(net);   // null: use the per-step sampler
 * if (stack) {
 *   const { x, rT } = fusedShortRun(stack, x0, { steps: 100, epsilon: 0.01, rng });
 * }
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { DENSE_LANGEVIN_CHAIN } from "../tensor/kernels/kernel_names.ts";
import type { DenseStack } from "../nets/net.ts";
import { fusedDenseStack, orPerOp } from "./fused_dense.ts";
import type { LangevinResult, SamplerOptions, StepRecord } from "./sampler_types.ts";

/** At most this many noise values are drawn per kernel call (longer chains run in pieces). */
const NOISE_PER_CALL = 1 << 22;

/**
 * The dense stack to run as one fused chain, or null when the per-step sampler must run (see
 * {@link fusedDenseStack}).
 */
export function fusedChainStack(net: object): DenseStack | null {
  return fusedDenseStack(net, DENSE_LANGEVIN_CHAIN);
}

/**
 * `steps` training-Langevin steps of the stack from `x` [N, D] with the given noise
 * [steps, N, D] as one kernel call: the new states and per-step [mean energy, mean ‖∇f‖]
 * (caller disposes both).
 *
 * @example
 * ```ts ignore
 * const { next, stats } = denseLangevinChain(stack, x, noise, 0.01); // stats [steps, 2]
 * ```
 */
export function denseLangevinChain(stack: DenseStack, x: tf.Tensor, noise: tf.Tensor, epsilon: number): { next: tf.Tensor2D; stats: tf.Tensor2D } {
  const inputs: tf.NamedTensorMap = { x, noise };
  stack.weights.forEach((w, i) => (inputs[`w${i}`] = w));
  stack.biases.forEach((b, i) => (inputs[`b${i}`] = b));
  const attrs = { epsilon, alpha: stack.slope, layers: stack.weights.length, steps: noise.shape[0] };
  const [next, stats] = tf.engine().runKernel(DENSE_LANGEVIN_CHAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { next: next as tf.Tensor2D, stats: stats as tf.Tensor2D };
}

let probed = false;

/**
 * {@link shortRunLangevin}'s contract on the fused kernel: same noise stream, same records, same
 * r_t. Options are assumed checked by the caller. Null (nothing drawn from `rng`) when the
 * backend finds the kernel cannot run here, so the caller runs the per-step sampler.
 */
export function fusedShortRun(stack: DenseStack, x0: tf.Tensor, options: SamplerOptions): LangevinResult | null {
  const every = options.recordEvery ?? 1;
  const [n, d] = x0.shape;
  const perCall = Math.max(1, Math.floor(NOISE_PER_CALL / Math.max(1, n * d)));
  // A zero-step call first, drawing nothing: a kernel that cannot run here leaves the stream untouched.
  if (!probed) {
    const ok = orPerOp(DENSE_LANGEVIN_CHAIN, () => {
      const none = tf.zeros([0, n, d]);
      const out = denseLangevinChain(stack, x0, none, options.epsilon);
      tf.dispose([none, out.next, out.stats]);
      return true;
    });
    if (!ok) return null;
    probed = true;
  }
  const records: StepRecord[] = [];
  let x = x0, normSum = 0;
  for (let done = 0; done < options.steps;) {
    const count = Math.min(perCall, options.steps - done);
    const noise = tf.tensor(options.rng.normalArray(count * n * d), [count, n, d]);
    const { next, stats } = denseLangevinChain(stack, x, noise, options.epsilon);
    const values = stats.dataSync() as Float32Array;
    tf.dispose([noise, stats]);
    if (x !== x0) x.dispose();
    x = next;
    for (let i = 0; i < count; i++) {
      const s = done + i + 1, energy = values[2 * i], gradNorm = values[2 * i + 1];
      normSum += gradNorm;
      if (s % every === 0 || s === options.steps) {
        const r: StepRecord = { step: s, energy, gradNorm };
        records.push(r);
        options.onRecord?.(r);
      }
    }
    done += count;
  }
  return { x: x === x0 ? tf.clone(x0) : x, rT: options.steps > 0 ? normSum / options.steps : 0, records };
}
