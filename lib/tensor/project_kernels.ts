/**
 * Registers the project's gradient kernels: convolution gradients through forward convolutions
 * (`kernels/conv2d_grads.ts`) for wasm (no filter-gradient kernel, scalar-loop input gradient) and cpu
 * (element-by-element filter gradient), and a correct MaxPoolGrad for wasm (`kernels/max_pool_grad.ts`;
 * the stock one returns wrong values). Idempotent.
 *
 * @example
 * ```ts ignore
 * registerProjectKernels("wasm");
 * const g = tf.grad((w) => tf.conv2d(x, w, 2, 1).sum())(w); // now runs on fast forward convs
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { conv2dFilterGrad, conv2dInputGrad, type ConvGeometry, SWAP_BATCH_CHANNELS, SWAP_LEADING_AXES, THIN_FILTER_GRAD } from "./kernels/conv2d_grads.ts";
import { maxPoolGrad } from "./kernels/max_pool_grad.ts";
import {
  identitySharingData,
  interleave2,
  interleavePhases2x2,
  type KernelArgs,
  leakyReluGradFromOutput,
  sumLeadingAxes,
  swapBatchChannels,
  swapLeadingAxes,
  thinFilterGrad,
} from "./wasm/heap_kernels.ts";
import { INTERLEAVE2, INTERLEAVE_PHASES_2X2 } from "./kernels/stack_pair.ts";
import { CONV_BIAS_LEAKY_RELU, LEAKY_RELU_GRAD_FROM_OUTPUT, THIN_INPUT_GRAD } from "./kernels/kernel_names.ts";
import { convBiasLeakyReluWasm, thinInputGradWasm } from "./wasm/thin_conv_kernels.ts";

/** Backends whose stock conv-gradient kernels are replaced. */
export const BACKENDS_WITH_PROJECT_KERNELS = ["wasm", "cpu"] as const;

const registered = new Set<string>();
const stock = new Map<string, tf.KernelConfig>();

type ConvGradAttrs = {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
};

function asTensor(info: tf.TensorInfo | undefined): tf.Tensor {
  if (info === undefined) throw new Error("Cannot run a conv-gradient kernel: an input tensor is missing");
  return info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
}

function geometry(kernel: string, xShape: number[], filterShape: number[], attrs: ConvGradAttrs): ConvGeometry {
  if (attrs.dataFormat === "NCHW") throw new Error(`Cannot run ${kernel}: dataFormat 'NCHW' is not supported, use NHWC`);
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  return { strides: [info.strideHeight, info.strideWidth], pad: { top: info.padInfo.top, left: info.padInfo.left } };
}

function filterGradKernel(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  return tf.tidy(() => {
    const x = asTensor(args.inputs.x) as tf.Tensor4D, dy = asTensor(args.inputs.dy) as tf.Tensor4D;
    const geom = geometry("Conv2DBackpropFilter", x.shape, attrs.filterShape, attrs);
    return conv2dFilterGrad(x, dy, attrs.filterShape, geom);
  });
}

function inputGradKernel(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
  return tf.tidy(() => {
    const dy = asTensor(args.inputs.dy) as tf.Tensor4D, w = asTensor(args.inputs.filter) as tf.Tensor4D;
    const geom = geometry("Conv2DBackpropInput", attrs.inputShape, w.shape, attrs);
    return conv2dInputGrad(dy, w, attrs.inputShape, geom);
  });
}

function maxPoolGradKernel(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  return tf.tidy(() => {
    const dy = asTensor(args.inputs.dy), x = asTensor(args.inputs.input);
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    return tf.tensor(maxPoolGrad(dy.dataSync() as Float32Array, x.dataSync() as Float32Array, info), x.shape);
  });
}

/** wasm Sum: bias gradients in one pass (`wasm/heap_kernels.ts`), everything else stock. */
function wasmSumKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const previous = stock.get("wasm/Sum");
  if (previous === undefined) throw new Error("Cannot run Sum on wasm: tfjs-backend-wasm registered no Sum kernel");
  return sumLeadingAxes(args, previous.kernelFunc);
}

/**
 * wasm BatchMatMul: rank-2 products with a transpose flag run on explicitly transposed operands,
 * because tfjs-wasm reaches XNNPACK only without flags (its flagged path is a scalar loop: the
 * fused dense layer's gradient made ToyNet's weight step 2× slower). Everything else: stock.
 */
function wasmBatchMatMulKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const previous = stock.get("wasm/BatchMatMul");
  if (previous === undefined) throw new Error("Cannot run BatchMatMul on wasm: tfjs-backend-wasm registered no BatchMatMul kernel");
  const { a, b } = args.inputs;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  if (a === undefined || b === undefined || a.shape.length !== 2 || b.shape.length !== 2 || !(attrs.transposeA || attrs.transposeB) || a.dtype !== "float32" || b.dtype !== "float32") {
    return previous.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
  }
  const at = attrs.transposeA ? tf.transpose(asTensor(a)) : a, bt = attrs.transposeB ? tf.transpose(asTensor(b)) : b;
  try {
    return previous.kernelFunc({ ...args, inputs: { a: at, b: bt }, attrs: { ...attrs, transposeA: false, transposeB: false } } as unknown as Parameters<tf.KernelFunc>[0]);
  } finally {
    if (at !== a) (at as tf.Tensor).dispose();
    if (bt !== b) (bt as tf.Tensor).dispose();
  }
}

/** wasm Identity: shares the data (`wasm/heap_kernels.ts`); strings on the stock kernel. */
function wasmIdentityKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const previous = stock.get("wasm/Identity");
  if (previous === undefined) throw new Error("Cannot run Identity on wasm: tfjs-backend-wasm registered no Identity kernel");
  return identitySharingData(args, previous.kernelFunc);
}

/**
 * Kernels replaced per backend: the wasm MaxPoolGrad is wrong, the conv gradients slow or
 * missing; on wasm the fused layer's activation gradient, bias-gradient sums, the input
 * gradient's phase interleave, thin layers' filter gradients and the filter gradient's
 * batch↔channel transpose run as single passes over the heap; Identity shares data; thin stride-1 layers (≤ 4 input
 * channels) run their fused forward and input gradient as direct SIMD convolutions (`wasm/thin_conv_kernels.ts`).
 */
const REPLACEMENTS: Record<string, [string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]][]> = {
  wasm: [
    ["Conv2DBackpropFilter", filterGradKernel],
    ["Conv2DBackpropInput", inputGradKernel],
    ["MaxPoolGrad", maxPoolGradKernel],
    [LEAKY_RELU_GRAD_FROM_OUTPUT, leakyReluGradFromOutput],
    ["Sum", wasmSumKernel],
    ["Identity", wasmIdentityKernel],
    ["BatchMatMul", wasmBatchMatMulKernel],
    [INTERLEAVE2, interleave2],
    [INTERLEAVE_PHASES_2X2, interleavePhases2x2],
    [THIN_FILTER_GRAD, thinFilterGrad],
    [SWAP_BATCH_CHANNELS, swapBatchChannels],
    [SWAP_LEADING_AXES, swapLeadingAxes],
    [CONV_BIAS_LEAKY_RELU, convBiasLeakyReluWasm],
    [THIN_INPUT_GRAD, thinInputGradWasm],
  ],
  cpu: [["Conv2DBackpropFilter", filterGradKernel], ["Conv2DBackpropInput", inputGradKernel]],
};

/**
 * Replaces the kernels listed in REPLACEMENTS for `backendName` when it is one of
 * {@link BACKENDS_WITH_PROJECT_KERNELS}; other backends are left alone.
 *
 * @example
 * ```ts
 * registerProjectKernels("wasm"); // after importing @tensorflow/tfjs-backend-wasm
 * ```
 */
export function registerProjectKernels(backendName: string): void {
  if (!(BACKENDS_WITH_PROJECT_KERNELS as readonly string[]).includes(backendName) || registered.has(backendName)) return;
  const replacements: [string, tf.KernelFunc][] = REPLACEMENTS[backendName].map(([k, f]) => [k, f as unknown as tf.KernelFunc]);
  for (const [kernelName, kernelFunc] of replacements) {
    const previous = tf.getKernel(kernelName, backendName);
    if (previous !== undefined) {
      stock.set(`${backendName}/${kernelName}`, previous);
      tf.unregisterKernel(kernelName, backendName);
    }
    tf.registerKernel({ kernelName, backendName, kernelFunc, setupFunc: previous?.setupFunc, disposeFunc: previous?.disposeFunc });
  }
  registered.add(backendName);
}

/**
 * True once {@link registerProjectKernels} replaced the kernels for `backendName`.
 *
 * @example
 * ```ts
 * if (!projectKernelsRegistered("cpu")) registerProjectKernels("cpu");
 * ```
 */
export function projectKernelsRegistered(backendName: string): boolean {
  return registered.has(backendName);
}

/**
 * The backend's own kernel that {@link registerProjectKernels} replaced (for parity tests),
 * or undefined when it had none (wasm has no Conv2DBackpropFilter).
 *
 * @example
 * ```ts
 * const cpuFilterGrad = stockKernel("cpu", "Conv2DBackpropFilter");
 * ```
 */
export function stockKernel(backendName: string, kernelName: string): tf.KernelConfig | undefined {
  return stock.get(`${backendName}/${kernelName}`);
}
