/**
 * The conv + bias + leaky-ReLU layer as one tfjs kernel ({@link CONV_BIAS_LEAKY_RELU}) with its
 * own registered gradient. Unlike `tf.customGrad`, a registered gradient is evaluated per input
 * on demand: a Langevin step (gradient for x only) never computes filter or bias gradients.
 * The native backend runs the forward as one oneDNN convolution with a leaky-ReLU post-op and
 * the backward's activation part as one eltwise primitive; every other backend gets a composed
 * version of the same kernels (its own FusedConv2D with a leakyrelu activation; step and mul for
 * the gradient) unless a backend-specific kernel of that name is already registered.
 *
 * @example
 * ```ts ignore
 * const h = convBiasLeakyRelu(x, w, b, 2, 1, 0.05); // 4×4 stride 2 pad 1, then LeakyReLU(0.05)
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { CONV_BIAS_LEAKY_RELU, LEAKY_RELU_GRAD_FROM_OUTPUT } from "../tensor/kernels/kernel_names.ts";
import { composedConvBiasLeakyRelu, composedGradFromOutput, composedKernelRegistrar, type ConvLayerAttrs } from "../tensor/kernels/composed_kernels.ts";

const ensureComposedLayerKernels = composedKernelRegistrar([
  [CONV_BIAS_LEAKY_RELU, composedConvBiasLeakyRelu],
  [LEAKY_RELU_GRAD_FROM_OUTPUT, composedGradFromOutput],
]);
let gradientRegistered = false;

/**
 * Registers the layer's gradient (once) and, for the active backend, the composed kernels where
 * the backend has none of its own. Called by {@link convBiasLeakyRelu}; cheap after the first call.
 *
 * @example
 * ```ts
 * ensureFusedLayerKernels(); // e.g. before comparing backends in a test
 * ```
 */
export function ensureFusedLayerKernels(): void {
  if (!gradientRegistered) {
    tf.registerGradient({ kernelName: CONV_BIAS_LEAKY_RELU, inputsToSave: ["x", "filter"], outputsToSave: [true], gradFunc: layerGradient });
    gradientRegistered = true;
  }
  ensureComposedLayerKernels();
}

/**
 * Gradients of the fused layer. The activation's backward (from the saved output) is shared by
 * all three inputs, so it runs once, before the per-input closures that the tape calls only for
 * inputs that need a gradient.
 */
function layerGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const { strides, pad, alpha } = attrs as unknown as ConvLayerAttrs;
  const dz = tf.engine().runKernel(LEAKY_RELU_GRAD_FROM_OUTPUT, { dy: dy as tf.Tensor, y }, { alpha }) as tf.Tensor4D;
  const convAttrs = { strides, pad, dataFormat: "NHWC", dimRoundingMode: undefined };
  return {
    x: () => tf.engine().runKernel("Conv2DBackpropInput", { dy: dz, filter }, { ...convAttrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    filter: () => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dz }, { ...convAttrs, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    bias: () => tf.sum(dz, [0, 1, 2]),
  };
}

/**
 * `leakyRelu(conv2d(x, w) + b, slope)` as one kernel: NHWC input, HWIO filter, symmetric zero
 * padding `pad` in pixels. Differentiable in x, w and b.
 *
 * @example
 * ```ts ignore
 * const h = convBiasLeakyRelu(x, w, b, 1, 1, 0.05); // 3×3 stride 1 pad 1
 * ```
 */
export function convBiasLeakyRelu(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, stride: number, pad: number, slope: number): tf.Tensor4D {
  if (!Number.isFinite(slope) || slope < 0) {
    throw new Error(`Cannot apply convBiasLeakyRelu: 'slope' must be a non-negative finite number, got ${slope}`);
  }
  ensureFusedLayerKernels();
  const padding = pad === 0 ? "valid" : [[0, 0], [pad, pad], [pad, pad], [0, 0]];
  return tf.engine().runKernel(CONV_BIAS_LEAKY_RELU, { x, filter: w, bias: b }, { strides: stride, pad: padding, alpha: slope } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
