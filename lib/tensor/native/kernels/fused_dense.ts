/**
 * `EbmDenseBiasLeakyRelu` (contract in `lib/tensor/kernels/kernel_names.ts`) on one oneDNN matmul with a
 * bias and an eltwise-relu(alpha) post-op. Its gradient reuses `EbmLeakyReluGradFromOutput`.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: DENSE_BIAS_LEAKY_RELU, backendName: "native", kernelFunc: makeDenseBiasLeakyRelu(ctx) });
 * ```
 * @module
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { float32Values, type NativeContext } from "./context.ts";
import { runDenseBiasLeakyRelu } from "./matmul.ts";
import { DENSE_BIAS_LEAKY_RELU } from "../../kernels/kernel_names.ts";

/** The native `EbmDenseBiasLeakyRelu` kernel. */
export function makeDenseBiasLeakyRelu(ctx: NativeContext): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, weight, bias } = args.inputs as Record<string, TensorInfo | undefined>;
    const alpha = (args.attrs as { alpha?: unknown }).alpha;
    if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha < 0) {
      throw new Error(`Cannot run ${DENSE_BIAS_LEAKY_RELU}: attribute 'alpha' must be a non-negative finite number, got ${alpha}`);
    }
    const xs = float32Values(backend, x), ws = float32Values(backend, weight), bs = float32Values(backend, bias);
    if (!xs || !ws || !bs || x!.shape.length !== 2 || weight!.shape.length !== 2 || bs.length !== weight!.shape[1]) {
      throw new Error(
        `Cannot run ${DENSE_BIAS_LEAKY_RELU}: expected float32 x [N, in], weight [in, out] and bias [out], ` +
          `got ${x?.dtype} [${x?.shape}], ${weight?.dtype} [${weight?.shape}], ${bias?.dtype} [${bias?.shape}]`,
      );
    }
    // oneDNN takes the slope as float32, as the prelu it replaces stores it.
    return runDenseBiasLeakyRelu(ctx, backend, x!, weight!, bs, Math.fround(alpha));
  };
}
