/**
 * One Adam update of one parameter as one tfjs kernel ({@link ADAM_UPDATE}). The native backend
 * runs it as a single pass (about ten kernels and five temporaries per parameter before, which
 * dominated small nets' weight steps); every other backend gets the composed tfjs ops registered
 * under the same name — exactly the ops the optimiser ran before — and the native pass rounds
 * every operation as those ops do, so weights and buffers are bit-identical on every backend.
 *
 * @example
 * ```ts ignore
 * const { w, m, v } = adamUpdate(weight, grad, expAvg, expAvgSq, { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { ADAM_UPDATE } from "../tensor/kernels/kernel_names.ts";
import { type AdamAttrs, composedAdamOps, composedAdamUpdate, composedKernelRegistrar } from "../tensor/kernels/composed_kernels.ts";

export type { AdamAttrs } from "../tensor/kernels/composed_kernels.ts";

const registerComposed = composedKernelRegistrar([[ADAM_UPDATE, composedAdamUpdate]]);

/**
 * Adam's update of `w` with gradient `g` and moment buffers `m`, `v` (caller disposes the three
 * results; the inputs are untouched).
 *
 * @example
 * ```ts ignore
 * const next = adamUpdate(w, g, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 3 });
 * ```
 */
export function adamUpdate(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamAttrs): { w: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  if (!Number.isInteger(attrs.step) || attrs.step < 1) throw new Error(`Cannot apply the Adam update: 'step' must be a positive integer, got ${attrs.step}`);
  const same = (t: tf.Tensor) => t.shape.length === w.shape.length && t.shape.every((d, i) => d === w.shape[i]);
  if (!same(g) || !same(m) || !same(v)) {
    throw new Error(`Cannot apply the Adam update: expected g, m and v of w's shape [${w.shape}], got [${g.shape}], [${m.shape}], [${v.shape}]`);
  }
  // Kernels take float32 only; other dtypes keep tfjs's own casting rules.
  if ([w, g, m, v].some((t) => t.dtype !== "float32")) {
    const [w1, m1, v1] = composedAdamOps(w, g, m, v, attrs);
    return { w: w1, m: m1, v: v1 };
  }
  registerComposed();
  const [w1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE, { w, g, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { w: w1, m: m1, v: v1 };
}
