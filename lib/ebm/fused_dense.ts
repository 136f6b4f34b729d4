/**
 * Which dense-net work runs on fused kernels: `fusedDenseStack` says whether a net (ToyNet) is
 * a plain dense stack and the active backend has the fused kernel for a job (the native backend
 * has all of them: the project's C code), honouring `EBM_FUSED_DENSE` (`0`: never, the per-op
 * paths run; `1`: always, an error where impossible; unset: wherever available — and where the
 * backend finds it cannot run one here, e.g. without a C compiler, the per-op path runs after a
 * one-line note naming what is missing). Also the fused weight gradient of the ML loss
 * ({@link DENSE_ML_GRADS}).
 *
 * @example
 * ```ts ignore
 * const fused = fusedMlGrads(net, pos, neg, 2 / eps ** 2); // null: use paramGrads
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { DENSE_ML_GRADS, KernelUnavailableError } from "../tensor/kernels/kernel_names.ts";
import type { DenseStack, EnergyNet } from "../nets/net.ts";
import { readEnvSwitch } from "../util/env.ts";

/** The env var that turns the fused dense kernels off ("0") or insists on them ("1"). */
export const FUSED_DENSE_ENV = "EBM_FUSED_DENSE";

const unavailable = new Map<string, string>();

/**
 * Runs `fused` (a call of `kernel`); when the backend reports the kernel cannot run here
 * ({@link KernelUnavailableError}, e.g. no C compiler) and `EBM_FUSED_DENSE` is unset, says why
 * once on stderr, remembers it, and returns null so the caller runs the per-op path. With
 * `EBM_FUSED_DENSE=1` the error propagates.
 *
 * @example
 * ```ts ignore
 * const out = orPerOp(DENSE_ML_GRADS, () => runTheKernel()); // null: run the reference
 * ```
 */
export function orPerOp<T>(kernel: string, fused: () => T): T | null {
  try {
    return fused();
  } catch (error) {
    if (!(error instanceof KernelUnavailableError) || readEnvSwitch(FUSED_DENSE_ENV) === true) throw error;
    if (!unavailable.has(kernel)) {
      unavailable.set(kernel, error.message);
      console.error(`${error.message}; running the per-op path instead (${FUSED_DENSE_ENV}=0 silences this)`);
    }
    return null;
  }
}

/**
 * The net's dense stack when `kernel` should run it, or null when the per-op path must run: the
 * net is not a dense stack, the active backend lacks `kernel`, or `EBM_FUSED_DENSE=0`. With
 * `EBM_FUSED_DENSE=1` the first two throw instead.
 *
 * @example
 * ```ts ignore
 * const stack = fusedDenseStack(net, DENSE_LANGEVIN_CHAIN);
 * ```
 */
export function fusedDenseStack(net: object, kernel: string): DenseStack | null {
  const wanted = readEnvSwitch(FUSED_DENSE_ENV);
  if (wanted === false) return null;
  const stack = "denseStack" in net && typeof net.denseStack === "function" ? (net.denseStack() as DenseStack | null) : null;
  const available = tf.getKernel(kernel, tf.getBackend()) !== undefined && !unavailable.has(kernel);
  if (wanted === true && (!stack || !available)) {
    throw new Error(
      `Cannot run the fused dense kernels (${FUSED_DENSE_ENV}=1): ` +
        (stack ? `backend '${tf.getBackend()}' has no ${kernel} kernel` : "the net is not a dense stack"),
    );
  }
  return stack && available ? stack : null;
}

/**
 * `loss = (mean f(pos) − mean f(neg)) · scale` and its gradient with respect to every parameter
 * (by state_dict key; caller disposes), on the fused kernel; null where {@link fusedDenseStack}
 * says the per-op path must run.
 *
 * @example
 * ```ts ignore
 * const fused = fusedMlGrads(net, pos, neg, 2e4);
 * const { loss, grads } = fused ?? paramGrads(net, lossFn);
 * ```
 */
export function fusedMlGrads(net: EnergyNet, pos: tf.Tensor, neg: tf.Tensor, scale: number): { loss: number; grads: Record<string, tf.Tensor> } | null {
  if (pos.rank !== 2 || neg.rank !== 2 || pos.dtype !== "float32" || neg.dtype !== "float32") return null;
  const stack = fusedDenseStack(net, DENSE_ML_GRADS);
  if (!stack) return null;
  const inputs: tf.NamedTensorMap = { pos, neg };
  stack.weights.forEach((w, i) => (inputs[`w${i}`] = w));
  stack.biases.forEach((b, i) => (inputs[`b${i}`] = b));
  const attrs = { scale, alpha: stack.slope, layers: stack.weights.length };
  const outs = orPerOp(DENSE_ML_GRADS, () => tf.engine().runKernel(DENSE_ML_GRADS, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]);
  if (!outs) return null;
  const [loss, ...grads] = outs;
  const keyOf = new Map(net.params.map((p) => [p.variable as tf.Tensor, p.key]));
  const out: Record<string, tf.Tensor> = {};
  stack.weights.forEach((w, i) => {
    out[keyOf.get(w)!] = grads[2 * i];
    out[keyOf.get(stack.biases[i])!] = grads[2 * i + 1];
  });
  const value = loss.dataSync()[0];
  loss.dispose();
  return { loss: value, grads: out };
}
