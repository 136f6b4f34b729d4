/**
 * The dense + bias + leaky-ReLU layer as one tfjs kernel ({@link DENSE_BIAS_LEAKY_RELU}) with its
 * own registered gradient, for ToyNet's hidden layers. ToyNet's tensors are tiny ([100, 64]), so
 * a Langevin step is dominated by per-kernel dispatch, not arithmetic: the fused layer runs one
 * kernel forward (one oneDNN matmul with a bias and a leaky-ReLU post-op on the native backend)
 * and two backward (the activation gradient from the saved output, then one matmul), where the
 * composed ops took a matmul, a bias add, a prelu and a custom-gradient wrapper forward and four
 * kernels backward. Gradients are evaluated lazily per input, so ∇x never computes ∇W.
 *
 * Other backends get a composed kernel made of exactly the ops the layer used before under a
 * gradient tape (matMul, add, prelu with a float32 slope; gradients `dy·step(y, α)` then
 * matMul), so their results are bit-identical to the unfused layer.
 *
 * @example
 * ```ts ignore
 * const h = denseBiasLeakyRelu(x, w, b, 0.05); // [N, in] → [N, out]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { DENSE_BIAS_LEAKY_RELU, LEAKY_RELU_GRAD_FROM_OUTPUT } from "../tensor/kernels/kernel_names.ts";
import { ensureFusedLayerKernels } from "./fused_layer.ts";
import { composedDense, composedKernelRegistrar } from "../tensor/kernels/composed_kernels.ts";

const ensureComposedDense = composedKernelRegistrar([[DENSE_BIAS_LEAKY_RELU, composedDense]]);
let gradientRegistered = false;

/**
 * Registers the layer's gradient (once) and, for the active backend, the composed kernel where
 * the backend has none of its own (plus the shared activation-gradient kernel).
 *
 * @example
 * ```ts
 * ensureFusedDenseKernels(); // e.g. before comparing backends in a test
 * ```
 */
export function ensureFusedDenseKernels(): void {
  ensureFusedLayerKernels();
  if (!gradientRegistered) {
    tf.registerGradient({ kernelName: DENSE_BIAS_LEAKY_RELU, inputsToSave: ["x", "weight"], outputsToSave: [true], gradFunc: denseGradient });
    gradientRegistered = true;
  }
  ensureComposedDense();
}

/** The activation gradient runs once; the per-input closures only for inputs that need one. */
function denseGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [x, weight, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const { alpha } = attrs as unknown as { alpha: number };
  const dz = tf.engine().runKernel(LEAKY_RELU_GRAD_FROM_OUTPUT, { dy: dy as tf.Tensor, y }, { alpha }) as tf.Tensor2D;
  return {
    x: () => tf.matMul(dz, weight, false, true),
    weight: () => tf.matMul(x, dz, true, false),
    bias: () => tf.sum(dz, 0),
  };
}

/**
 * `leakyRelu(x·w + b, slope)` as one kernel, differentiable in x, w and b (use it under a
 * gradient tape; `ops.ts`'s `denseLeakyRelu` picks it then).
 *
 * @example
 * ```ts ignore
 * const h = denseBiasLeakyRelu(x, w, b, 0.05);
 * ```
 */
export function denseBiasLeakyRelu(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, slope: number): tf.Tensor2D {
  if (!Number.isFinite(slope) || slope < 0) {
    throw new Error(`Cannot apply denseBiasLeakyRelu: 'slope' must be a non-negative finite number, got ${slope}`);
  }
  ensureFusedDenseKernels();
  return tf.engine().runKernel(DENSE_BIAS_LEAKY_RELU, { x, weight: w, bias: b }, { alpha: slope }) as tf.Tensor2D;
}
