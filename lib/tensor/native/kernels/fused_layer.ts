/**
 * The project's fused conv layer kernels on oneDNN (contracts in `lib/tensor/kernels/kernel_names.ts`):
 * - `EbmConv2DBiasLeakyRelu`: one convolution primitive with bias and a leaky-ReLU post-op;
 * - `EbmLeakyReluGradFromOutput`: one eltwise backward primitive reading the layer's output,
 *   replacing tfjs's Step + Multiply pair.
 * Inputs other than float32 NHWC tensors are rejected with an error naming the kernel.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: CONV_BIAS_LEAKY_RELU, backendName: "native", kernelFunc: makeConvBiasLeakyRelu(ctx) });
 * ```
 * @module
 */
import type { Conv2DAttrs, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { ABI } from "../abi.ts";
import { float32Values, type NativeContext } from "./context.ts";
import { runForward } from "./conv2d.ts";
import { leakyReluBackwardFromOutputPlan } from "./flat_plans.ts";
import { CONV_BIAS_LEAKY_RELU, LEAKY_RELU_GRAD_FROM_OUTPUT } from "../../kernels/kernel_names.ts";

type Inputs = Record<string, TensorInfo | undefined>;

function checkAlpha(kernel: string, alpha: unknown): number {
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha < 0) {
    throw new Error(`Cannot run ${kernel}: attribute 'alpha' must be a non-negative finite number, got ${alpha}`);
  }
  // oneDNN takes the slope as float32.
  return Math.fround(alpha);
}

/** `EbmConv2DBiasLeakyRelu` on one oneDNN convolution with bias and an eltwise_relu(alpha) post-op. */
export function makeConvBiasLeakyRelu(ctx: NativeContext): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, filter, bias } = args.inputs as Inputs;
    const attrs = args.attrs as unknown as { strides: Conv2DAttrs["strides"]; pad: Conv2DAttrs["pad"]; alpha: number };
    const alpha = checkAlpha(CONV_BIAS_LEAKY_RELU, attrs.alpha);
    const xs = float32Values(backend, x), ws = float32Values(backend, filter), bs = float32Values(backend, bias);
    if (!xs || !ws || !bs || x!.shape.length !== 4 || filter!.shape.length !== 4 || bs.length !== filter!.shape[3]) {
      throw new Error(
        `Cannot run ${CONV_BIAS_LEAKY_RELU}: expected float32 x [N, H, W, Ci], filter [kh, kw, Ci, Co] and bias [Co], ` +
          `got ${x?.dtype} [${x?.shape}], ${filter?.dtype} [${filter?.shape}], ${bias?.dtype} [${bias?.shape}]`,
      );
    }
    const convAttrs: Conv2DAttrs = { strides: attrs.strides, pad: attrs.pad, dataFormat: "NHWC", dilations: 1 };
    return runForward(ctx, backend, x!, filter!, bs, convAttrs, { alg: ABI.algKind.eltwiseRelu, alpha, beta: 0 });
  };
}

/** `EbmLeakyReluGradFromOutput` on oneDNN's `relu_use_dst_for_bwd` eltwise backward. */
export function makeLeakyReluGradFromOutput(ctx: NativeContext): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, y } = args.inputs as Inputs;
    const alpha = checkAlpha(LEAKY_RELU_GRAD_FROM_OUTPUT, (args.attrs as { alpha?: unknown }).alpha);
    const dys = float32Values(backend, dy), ys = float32Values(backend, y);
    if (!dys || !ys || dys.length !== ys.length) {
      throw new Error(
        `Cannot run ${LEAKY_RELU_GRAD_FROM_OUTPUT}: expected float32 dy and y of one shape, got ${dy?.dtype} [${dy?.shape}] and ${y?.dtype} [${y?.shape}]`,
      );
    }
    const dx = ctx.output(dys.length);
    if (dx.length > 0) leakyReluBackwardFromOutputPlan(ctx, dx.length, alpha).run([ys, dys, dx]);
    return backend.makeTensorInfo(dy!.shape, "float32", dx);
  };
}
