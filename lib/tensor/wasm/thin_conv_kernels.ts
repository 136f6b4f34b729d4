/**
 * wasm kernels for thin stride-1 convolutions (≤ 4 input channels, e.g. VanillaNet's first
 * layer), run by the direct SIMD code of `lib/tensor/wasm/thin_conv_module.ts` instead of XNNPACK:
 * - `EbmConv2DBiasLeakyRelu` (the fused layer, `lib/tensor/kernels/kernel_names.ts`): thin layers here,
 *   every other layer on the backend's FusedConv2D with a leakyrelu activation, as before;
 * - `EbmThinInputGrad`: the input gradient of such a layer (called by `conv2d_grads.ts`).
 *
 * With the threaded backend both split their images over two threads (`thin_conv_helper.ts`).
 * Multiply-adds are relaxed-SIMD FMAs where the engine accepts them; `EBM_WASM_FMA=0` turns them
 * off (the last bits of results then match across CPUs with and without FMA); see `useFma`.
 *
 * @example
 * ```ts ignore
 * tf.registerKernel({ kernelName: CONV_BIAS_LEAKY_RELU, backendName: "wasm", kernelFunc: convBiasLeakyReluWasm });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { heap, input, type KernelArgs, offset, type WasmHeapBackend } from "./heap_kernels.ts";
import { useFma } from "./thin_conv_module.ts";
import { runThinForward, runThinInputGrad } from "./thin_conv_helper.ts";
import { CONV_BIAS_LEAKY_RELU, isThinFilter, THIN_INPUT_GRAD } from "../kernels/kernel_names.ts";
import { composedConvBiasLeakyRelu } from "../kernels/composed_kernels.ts";

type LayerAttrs = { strides: number | [number, number]; pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding; alpha: number };

/**
 * `EbmConv2DBiasLeakyRelu` on wasm: the thin SIMD forward for stride-1 layers with a thin filter,
 * the backend's FusedConv2D otherwise.
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel("EbmConv2DBiasLeakyRelu", { x, filter, bias }, { strides: 1, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], alpha: 0.05 });
 * ```
 */
export function convBiasLeakyReluWasm(args: KernelArgs): tf.TensorInfo {
  const kernel = CONV_BIAS_LEAKY_RELU;
  const x = input(args, "x", kernel), filter = input(args, "filter", kernel), bias = input(args, "bias", kernel);
  const attrs = args.attrs as unknown as LayerAttrs;
  if (x.shape.length !== 4 || filter.shape.length !== 4) throw new Error(`Cannot run ${kernel} on wasm: expected 4-D x and filter, got [${x.shape}] and [${filter.shape}]`);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, undefined, false, "channelsLast");
  const thin = info.strideHeight === 1 && info.strideWidth === 1 && isThinFilter(filter.shape) && x.dtype === "float32" && filter.dtype === "float32" && bias.dtype === "float32" &&
    bias.shape.length === 1 && bias.shape[0] === info.outChannels && Number.isFinite(attrs.alpha);
  if (!thin) return composedConvBiasLeakyRelu(args);
  const backend = args.backend as WasmHeapBackend;
  const [n, h, w, cin] = x.shape, [kh, kw, , cout] = filter.shape;
  const out = backend.makeOutput([n, info.outHeight, info.outWidth, cout], "float32");
  if (n * info.outHeight * info.outWidth > 0) {
    runThinForward(heap(backend, kernel), cin, cout, useFma(), {
      y: offset(backend, out), x: offset(backend, x), w: offset(backend, filter), bias: offset(backend, bias),
      n, h, wd: w, oh: info.outHeight, ow: info.outWidth, pt: info.padInfo.top, pl: info.padInfo.left, kh, kw, alpha: attrs.alpha,
    });
  }
  return out;
}

/**
 * {@link THIN_INPUT_GRAD} on wasm.
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel(THIN_INPUT_GRAD, { dy, filter }, { inputShape: [100, 32, 32, 3], pad: { top: 1, left: 1 } });
 * ```
 */
export function thinInputGradWasm(args: KernelArgs): tf.TensorInfo {
  const kernel = THIN_INPUT_GRAD;
  const dy = input(args, "dy", kernel), filter = input(args, "filter", kernel);
  const { inputShape, pad } = args.attrs as unknown as { inputShape: number[]; pad: { top: number; left: number } };
  // Any output size works: taps whose dy pixel lies outside [0, oh) × [0, ow) are skipped.
  const [n, h, w, cin] = inputShape, [kh, kw, fcin, cout] = filter.shape, [dn, oh, ow, dc] = dy.shape;
  const fits = inputShape.length === 4 && dy.shape.length === 4 && isThinFilter(filter.shape) && fcin === cin && dc === cout && dn === n &&
    dy.dtype === "float32" && filter.dtype === "float32" && Number.isInteger(pad.top) && Number.isInteger(pad.left) && pad.top >= 0 && pad.left >= 0;
  if (!fits) {
    throw new Error(`Cannot run ${kernel} on wasm: dy [${dy.shape}], filter [${filter.shape}] and input [${inputShape}] do not fit a stride-1 thin convolution with padding ${pad.top},${pad.left}`);
  }
  const backend = args.backend as WasmHeapBackend;
  const out = backend.makeOutput([n, h, w, cin], "float32");
  if (n * h * w > 0) {
    runThinInputGrad(heap(backend, kernel), cin, cout, useFma(), {
      dx: offset(backend, out), dy: offset(backend, dy), w: offset(backend, filter), n, h, wd: w, oh, ow, pt: pad.top, pl: pad.left, kh, kw,
    });
  }
  return out;
}
