/**
 * The composed reference versions of the project's kernels (`kernel_names.ts`), built from
 * stock tfjs ops, and their registration on whatever backend is current, once per backend,
 * unless that backend already has its own kernel of the same name (native and wasm register
 * theirs when they are set up). Backend kernels fall back to these for shapes they do not
 * specialise; the ops that call the kernels (`lib/nets/fused_layer.ts`, `fused_dense.ts`,
 * `lib/ebm/langevin_update.ts`, `lib/ebm/adam_update.ts`) register them.
 *
 * @example
 * ```ts ignore
 * const ensure = composedKernelRegistrar([["EbmMyKernel", (args) => myComposedVersion(args)]]);
 * ensure(); // after tf.setBackend(…): registers what the current backend lacks
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { ADAM_UPDATE, CONV_BIAS_LEAKY_RELU, DENSE_BIAS_LEAKY_RELU, LANGEVIN_UPDATE, LEAKY_RELU_GRAD_FROM_OUTPUT } from "./kernel_names.ts";

/** What tfjs passes a kernel function (the parts composed kernels read). */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap };

/**
 * Input `name` of a kernel call as a Tensor (the engine may hand over bare TensorInfos), or an
 * error naming the kernel and the missing input.
 *
 * @example
 * ```ts ignore
 * const x = kernelInput(args, "x", "EbmMyKernel");
 * ```
 */
export function kernelInput(args: KernelArgs, name: string, kernel: string): tf.Tensor {
  const info = args.inputs[name];
  if (info === undefined) throw new Error(`Cannot run ${kernel}: input '${name}' is missing`);
  return info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
}

/** A kernel name and its composed implementation. */
export type ComposedKernel = [string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]];

/**
 * A function that, on each call, registers `kernels` on the current backend where missing
 * (remembering which backends are done, so repeated calls cost a set lookup).
 */
export function composedKernelRegistrar(kernels: ComposedKernel[]): () => void {
  const backendsDone = new Set<string>();
  return () => {
    const backendName = tf.getBackend();
    if (backendsDone.has(backendName)) return;
    for (const [kernelName, kernelFunc] of kernels) {
      if (tf.getKernel(kernelName, backendName) === undefined) {
        tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
      }
    }
    backendsDone.add(backendName);
  };
}

/** The fused conv layer's attributes as the kernel receives them. */
export type ConvLayerAttrs = {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  alpha: number;
};

/**
 * Any backend: the backend's own FusedConv2D with a leakyrelu activation. Backend kernels of
 * {@link CONV_BIAS_LEAKY_RELU} fall back to it for shapes they do not specialise.
 *
 * @example
 * ```ts ignore
 * const y = composedConvBiasLeakyRelu({ inputs: { x, filter, bias }, attrs: { strides: 2, pad: 1, alpha: 0.05 } });
 * ```
 */
export function composedConvBiasLeakyRelu(args: KernelArgs): tf.TensorInfo {
  const attrs = args.attrs as unknown as ConvLayerAttrs;
  const x = kernelInput(args, "x", CONV_BIAS_LEAKY_RELU);
  const filter = kernelInput(args, "filter", CONV_BIAS_LEAKY_RELU);
  const bias = kernelInput(args, "bias", CONV_BIAS_LEAKY_RELU);
  return tf.engine().runKernel("FusedConv2D", { x, filter, bias }, {
    strides: attrs.strides,
    pad: attrs.pad,
    dataFormat: "NHWC",
    dilations: 1,
    dimRoundingMode: undefined,
    activation: "leakyrelu",
    leakyreluAlpha: attrs.alpha,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * Any backend: `dy · step(y, alpha)`, two passes (a where/lessEqual version that passes NaN
 * through as oneDNN does measured 38 vs 27 ms on wasm for a [100, 32, 32, 32] activation).
 */
export function composedGradFromOutput(args: KernelArgs): tf.TensorInfo {
  const { alpha } = args.attrs as unknown as { alpha: number };
  const dy = kernelInput(args, "dy", LEAKY_RELU_GRAD_FROM_OUTPUT);
  const y = kernelInput(args, "y", LEAKY_RELU_GRAD_FROM_OUTPUT);
  return tf.tidy(() => tf.mul(dy, tf.step(y, alpha)));
}

/** Any backend: the unfused ops, in the order the layer ran them under a gradient tape. */
export function composedDense(args: KernelArgs): tf.TensorInfo {
  const { alpha } = args.attrs as unknown as { alpha: number };
  const x = kernelInput(args, "x", DENSE_BIAS_LEAKY_RELU), weight = kernelInput(args, "weight", DENSE_BIAS_LEAKY_RELU), bias = kernelInput(args, "bias", DENSE_BIAS_LEAKY_RELU);
  return tf.tidy(() => tf.prelu(tf.add(tf.matMul(x, weight), bias), tf.scalar(alpha) as unknown as tf.Tensor));
}

/**
 * The Langevin update's composed ops: the reference the native kernel reproduces bit for bit
 * (also used directly for non-float32 inputs, which keep tfjs's own casting rules).
 */
export function composedLangevinOps(x: tf.Tensor, grad: tf.Tensor, noise: tf.Tensor, energy: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor1D] {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(tf.reshape(grad, [grad.shape[0], -1])), 1));
    const stats = tf.stack([tf.mean(energy), tf.mean(norms)]) as tf.Tensor1D;
    return [tf.add(tf.sub(x, grad), tf.mul(noise, epsilon)), stats];
  });
}

/** Any backend without its own {@link LANGEVIN_UPDATE} kernel: the composed ops. */
export function composedLangevinUpdate(args: KernelArgs): tf.TensorInfo[] {
  const { epsilon } = args.attrs as unknown as { epsilon: number };
  const x = kernelInput(args, "x", LANGEVIN_UPDATE), grad = kernelInput(args, "grad", LANGEVIN_UPDATE);
  const noise = kernelInput(args, "noise", LANGEVIN_UPDATE), energy = kernelInput(args, "energy", LANGEVIN_UPDATE);
  return composedLangevinOps(x, grad, noise, energy, epsilon);
}

/** Adam's hyper-parameters for one {@link ADAM_UPDATE}; `step` is t (≥ 1), counting this update. */
export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
}

/**
 * The Adam update's composed ops (the optimiser's ops before the kernel existed): the reference
 * the native kernel reproduces bit for bit. Returns [w', m', v'].
 */
export function composedAdamOps(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, a: AdamAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
    const v1 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
    const bc1 = 1 - a.beta1 ** a.step, bc2 = 1 - a.beta2 ** a.step;
    const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), a.eps);
    return [tf.sub(w, tf.mul(tf.div(m1, denom), a.lr / bc1)), m1, v1];
  });
}

/** Any backend without its own {@link ADAM_UPDATE} kernel: the composed ops. */
export function composedAdamUpdate(args: KernelArgs): tf.TensorInfo[] {
  const attrs = args.attrs as unknown as AdamAttrs;
  const input = (name: string) => kernelInput(args, name, ADAM_UPDATE);
  return composedAdamOps(input("w"), input("g"), input("m"), input("v"), attrs);
}
