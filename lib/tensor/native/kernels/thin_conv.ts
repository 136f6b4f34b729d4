/**
 * The input gradient of thin stride-1 convolutions (≤ {@link THIN_INPUT_GRAD_MAX_CIN} input
 * channels, NHWC, no dilation: VanillaNet's first layer) on the project's C code
 * (`../c/thin_conv.c`, built with gcc on first use), which `Conv2DBackpropInput` uses instead of
 * oneDNN's backward-data primitive for these shapes: measured (loaded machine, 1 thread, Fashion
 * cpu profile's first layer, 32×32×1 → 16 channels, batch 32) 9.7 ms on oneDNN against 1.1 ms
 * for the same layer's forward pass. Without a compiler the oneDNN path runs, and the reason is
 * logged once.
 *
 * @example
 * ```ts ignore
 * const dx = thinInputGrad(info, dyValues, filterValues, out); // false: use oneDNN
 * ```
 * @module
 */
import type { backend_util } from "@tensorflow/tfjs-core";
import { buildCLibrary, THIN_CONV_SOURCE } from "../c_build.ts";
import { SINGLE_THREAD_WORK } from "../dnnl.ts";
import { resolveThreadCount } from "../threads.ts";

/** Largest input-channel count the C kernel takes (its per-channel accumulators live in registers). */
export const THIN_INPUT_GRAD_MAX_CIN = 4;

const SYMBOLS = {
  ebm_thin_conv_input_grad: {
    parameters: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;
let calls = 0;

/** How many input gradients the C kernel has computed in this process (for tests). */
export function thinInputGradCalls(): number {
  return calls;
}

function thinLibrary(): Deno.DynamicLibrary<typeof SYMBOLS> | null {
  if (library !== undefined) return library;
  try {
    library = Deno.dlopen(buildCLibrary(THIN_CONV_SOURCE), SYMBOLS);
  } catch (error) {
    library = null;
    console.error(`native backend: thin-layer input gradients run on oneDNN (${(error as Error).message.split("\n")[0]})`);
  }
  return library;
}

/** True when `info` is a convolution whose input gradient the C kernel computes. */
export function isThinInputGrad(info: backend_util.Conv2DInfo): boolean {
  return info.dataFormat === "channelsLast" && info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 &&
    info.dilationWidth === 1 && info.inChannels <= THIN_INPUT_GRAD_MAX_CIN;
}

/**
 * Writes the input gradient of the thin convolution `info` into `dx`; false (nothing written)
 * when the shape is not thin or the C kernel is unavailable.
 */
export function thinInputGrad(info: backend_util.Conv2DInfo, dy: Float32Array, filter: Float32Array, dx: Float32Array): boolean {
  if (!isThinInputGrad(info)) return false;
  const lib = thinLibrary();
  if (!lib) return false;
  const work = 2 * dx.length * info.outChannels * info.filterHeight * info.filterWidth;
  const threads = work >= SINGLE_THREAD_WORK ? resolveThreadCount() : 1;
  const status = lib.symbols.ebm_thin_conv_input_grad(
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.filterHeight, info.filterWidth,
    info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth, dy, filter, dx, threads,
  );
  if (status !== 0) throw new Error(`Cannot compute a thin input gradient: the C kernel rejected [${info.inShape}] ← [${info.outShape}] (status ${status})`);
  calls++;
  return true;
}
