/**
 * Kernels for the wasm backend written as single JS passes over its heap, where the stock path
 * costs several kernels and full-size temporaries:
 * - the fused conv layer's activation backward (`EbmLeakyReluGradFromOutput`): one SIMD pass
 *   (`lib/tensor/wasm/simd_kernels.ts`) instead of lessEqual + mul + select (three outputs of
 *   the activation's size);
 * - `Sum` over every axis but the last (a bias gradient): per-channel float64 accumulation in one
 *   SIMD pass, where tfjs-wasm first transposes the whole tensor so the reduced axes are innermost.
 *   Other reductions go to the stock kernel;
 * - `Identity`: shares the input's data instead of copying it.
 *
 * @example
 * ```ts ignore
 * tf.registerKernel({ kernelName: LEAKY_RELU_GRAD_FROM_OUTPUT, backendName: "wasm", kernelFunc: leakyReluGradFromOutput });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { simdKernelsFor } from "./simd_kernels.ts";
import { useFma } from "./thin_conv_module.ts";
import { isThinFilter } from "../kernels/kernel_names.ts";
import { runLeakyGrad, runSwapRows, runThinFilterGrad } from "./thin_conv_helper.ts";

/** The part of tfjs-backend-wasm's BackendWasm that JS kernels use to work on its heap. */
export interface WasmHeapBackend {
  incRef(dataId: unknown): void;
  disposeData(dataId: unknown): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  wasm: { asm?: { memory?: WebAssembly.Memory }; heapMemory?: WebAssembly.Memory };
}

/**
 * The backend's heap: exported by tfjs's single-threaded build, kept by `threaded.ts` otherwise.
 *
 * @example
 * ```ts ignore
 * const memory = heap(args.backend as WasmHeapBackend, "EbmThinInputGrad");
 * ```
 */
export function heap(backend: WasmHeapBackend, kernel: string): WebAssembly.Memory {
  const memory = backend.wasm.heapMemory ?? backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error(`Cannot run ${kernel} on wasm: the backend's heap memory is not reachable`);
  return memory;
}

/**
 * Byte address of a tensor's data in the heap.
 *
 * @example
 * ```ts ignore
 * const xAddr = offset(backend, args.inputs.x);
 * ```
 */
export function offset(backend: WasmHeapBackend, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/** What tfjs passes to a kernel function. */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

/**
 * A kernel's named input, or an error naming the kernel and input.
 *
 * @example
 * ```ts ignore
 * const dy = input(args, "dy", "EbmThinInputGrad");
 * ```
 */
export function input(args: KernelArgs, name: string, kernel: string): tf.TensorInfo {
  const info = args.inputs[name];
  if (info === undefined) throw new Error(`Cannot run ${kernel} on wasm: input '${name}' is missing`);
  return info;
}

function float32(backend: WasmHeapBackend, info: tf.TensorInfo, kernel: string): Float32Array {
  if (info.dtype !== "float32") throw new Error(`Cannot run ${kernel} on wasm: expected float32 input, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * `dx = y ≤ 0 ? alpha·dy : dy`, as `EbmLeakyReluGradFromOutput` is specified in
 * `lib/tensor/kernels/kernel_names.ts`; where y is NaN (unspecified there) dy passes, as on oneDNN.
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel("EbmLeakyReluGradFromOutput", { dy, y }, { alpha: 0.05 });
 * ```
 */
export function leakyReluGradFromOutput(args: KernelArgs): tf.TensorInfo {
  const kernel = "EbmLeakyReluGradFromOutput";
  const backend = args.backend as WasmHeapBackend;
  const dyInfo = input(args, "dy", kernel), yInfo = input(args, "y", kernel);
  if (!tf.util.arraysEqual(dyInfo.shape, yInfo.shape)) throw new Error(`Cannot run ${kernel} on wasm: dy [${dyInfo.shape}] and y [${yInfo.shape}] differ in shape`);
  if (dyInfo.dtype !== "float32" || yInfo.dtype !== "float32") throw new Error(`Cannot run ${kernel} on wasm: expected float32 dy and y, got ${dyInfo.dtype} and ${yInfo.dtype}`);
  const alpha = (args.attrs as { alpha: number }).alpha;
  const out = backend.makeOutput(dyInfo.shape, "float32");
  runLeakyGrad(heap(backend, kernel), offset(backend, out), offset(backend, yInfo), offset(backend, dyInfo), tf.util.sizeFromShape(dyInfo.shape), alpha);
  return out;
}

/**
 * `EbmInterleave2` (see `stack_pair.ts`): a and b stacked on a new axis `axis`, as row copies.
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel("EbmInterleave2", { a, b }, { axis: 3 }); // [n,u,v,c] ×2 → [n,u,v,2,c]
 * ```
 */
export function interleave2(args: KernelArgs): tf.TensorInfo {
  const kernel = "EbmInterleave2";
  const backend = args.backend as WasmHeapBackend;
  const a = input(args, "a", kernel), b = input(args, "b", kernel);
  const axis = (args.attrs as { axis: number }).axis;
  if (!tf.util.arraysEqual(a.shape, b.shape) || a.dtype !== "float32" || b.dtype !== "float32") {
    throw new Error(`Cannot run ${kernel} on wasm: expected two float32 tensors of one shape, got [${a.shape}] ${a.dtype} and [${b.shape}] ${b.dtype}`);
  }
  if (!Number.isInteger(axis) || axis < 0 || axis > a.shape.length) throw new Error(`Cannot run ${kernel} on wasm: axis must be in 0…${a.shape.length}, got ${axis}`);
  const rows = tf.util.sizeFromShape(a.shape.slice(0, axis)), rowElements = tf.util.sizeFromShape(a.shape.slice(axis));
  const out = backend.makeOutput([...a.shape.slice(0, axis), 2, ...a.shape.slice(axis)], "float32");
  if (rows * rowElements > 0) simdKernelsFor(heap(backend, kernel)).interleave2(offset(backend, out), offset(backend, a), offset(backend, b), rows, rowElements * 4);
  return out;
}

/**
 * `EbmInterleavePhases2x2` (see `stack_pair.ts`): each output row is one pair interleave of two
 * phase rows, written once.
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel("EbmInterleavePhases2x2", { p00, p01, p10, p11 }); // [n,u,v,c] ×4 → [n,2u,2v,c]
 * ```
 */
export function interleavePhases2x2(args: KernelArgs): tf.TensorInfo {
  const kernel = "EbmInterleavePhases2x2";
  const backend = args.backend as WasmHeapBackend;
  const phases = ["p00", "p01", "p10", "p11"].map((k) => input(args, k, kernel));
  const shape = phases[0].shape;
  if (shape.length !== 4 || phases.some((p) => p.dtype !== "float32" || !tf.util.arraysEqual(p.shape, shape))) {
    throw new Error(`Cannot run ${kernel} on wasm: expected four float32 [n, u, v, c] tensors of one shape, got ${phases.map((p) => `[${p.shape}] ${p.dtype}`).join(", ")}`);
  }
  const [n, u, v, c] = shape;
  const out = backend.makeOutput([n, 2 * u, 2 * v, c], "float32");
  if (n * u * v * c === 0) return out;
  const simd = simdKernelsFor(heap(backend, kernel));
  const [a00, a01, a10, a11] = phases.map((p) => offset(backend, p));
  const o = offset(backend, out), inRow = v * c * 4, outRow = 2 * inRow;
  for (let r = 0; r < n * u; r++) {
    simd.interleave2(o + 2 * r * outRow, a00 + r * inRow, a01 + r * inRow, v, c * 4);
    simd.interleave2(o + (2 * r + 1) * outRow, a10 + r * inRow, a11 + r * inRow, v, c * 4);
  }
  return out;
}

/**
 * `EbmThinFilterGrad` (see `conv2d_grads.ts`): the stride-1 filter gradient of a thin layer,
 * accumulated in float32 over the pixels in order, as the matMul it replaces does.
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel("EbmThinFilterGrad", { x, dy }, { filterShape: [3, 3, 3, 32], pad: { top: 1, left: 1 } });
 * ```
 */
export function thinFilterGrad(args: KernelArgs): tf.TensorInfo {
  const kernel = "EbmThinFilterGrad";
  const backend = args.backend as WasmHeapBackend;
  const x = input(args, "x", kernel), dy = input(args, "dy", kernel);
  const attrs = args.attrs as { filterShape: number[]; pad?: { top: number; left: number } };
  const [kh, kw, cin, cout] = attrs.filterShape;
  const { top, left } = attrs.pad ?? { top: 0, left: 0 };
  const [n, oh, ow, dyc] = dy.shape, [xn, h, wd, xc] = x.shape;
  const thin = isThinFilter([kh, kw, cin, cout]);
  if (x.dtype !== "float32" || dy.dtype !== "float32" || xn !== n || xc !== cin || dyc !== cout || cout % 4 !== 0 || !(top >= 0 && left >= 0) ||
    (!thin && (top !== 0 || left !== 0 || h !== oh + kh - 1 || wd !== ow + kw - 1))) {
    throw new Error(
      `Cannot run ${kernel} on wasm: x [${x.shape}] and dy [${dy.shape}] do not fit filter [${kh},${kw},${cin},${cout}] at stride 1 with padding ${top},${left} (cout must be a multiple of 4; x must come padded unless cin ≤ 4)`,
    );
  }
  const out = backend.makeOutput([kh, kw, cin, cout], "float32");
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0); // the kernels accumulate into it
  if (n * oh * ow > 0 && thin) {
    // ≤ 4 input channels: register-blocked per output row (about 3× the pixel-by-pixel pass),
    // reading the unpadded input (taps in the border are skipped).
    runThinFilterGrad(heap(backend, kernel), cin, cout, useFma(), { acc: offset(backend, out), x: offset(backend, x), dy: offset(backend, dy), n, oh, ow, kh, kw, h, wd, pt: top, pl: left });
  } else if (n * oh * ow > 0) {
    simdKernelsFor(heap(backend, kernel)).thinFilterGrad(offset(backend, out), offset(backend, x), offset(backend, dy), n, oh, ow, kh, kw, cin, cout, wd);
  }
  return out;
}

/**
 * `EbmSwapBatchChannels` (see `conv2d_grads.ts`): [n, h, w, c] → [c, h + top + bottom,
 * w + left + right, n] for n and c multiples of 4, zero-padded by the optional attr `pad`
 * {top, bottom, left, right} (non-negative; a padded copy of x was a separate pass before).
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel("EbmSwapBatchChannels", { x }, { pad: { top: 1, bottom: 1, left: 1, right: 1 } }); // [100, 32, 32, 32] → [32, 34, 34, 100]
 * ```
 */
export function swapBatchChannels(args: KernelArgs): tf.TensorInfo {
  const kernel = "EbmSwapBatchChannels";
  const backend = args.backend as WasmHeapBackend;
  const x = input(args, "x", kernel);
  const [n, h, w, c] = x.shape;
  if (x.shape.length !== 4 || x.dtype !== "float32" || n % 4 !== 0 || c % 4 !== 0) {
    throw new Error(`Cannot run ${kernel} on wasm: expected a float32 [n, h, w, c] tensor with n and c multiples of 4, got [${x.shape}] ${x.dtype}`);
  }
  const pad = (args.attrs as { pad?: { top: number; bottom: number; left: number; right: number } } | undefined)?.pad ?? { top: 0, bottom: 0, left: 0, right: 0 };
  const { top, bottom, left, right } = pad;
  if (![top, bottom, left, right].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`Cannot run ${kernel} on wasm: pad must be non-negative integers, got ${JSON.stringify(pad)}`);
  }
  const hp = h + top + bottom, wp = w + left + right;
  const out = backend.makeOutput([c, hp, wp, n], "float32");
  if (c * hp * wp * n === 0) return out;
  const rowFloats = wp * n, channelFloats = hp * rowFloats;
  if (top + bottom + left + right > 0) {
    // Zero the border of each channel's padded image; the swap fills the inside.
    const values = backend.typedArrayFromHeap(out) as Float32Array;
    for (let ch = 0; ch < c; ch++) {
      const base = ch * channelFloats;
      values.fill(0, base, base + top * rowFloats);
      values.fill(0, base + (top + h) * rowFloats, base + channelFloats);
      for (let y = top; y < top + h; y++) {
        values.fill(0, base + y * rowFloats, base + y * rowFloats + left * n);
        values.fill(0, base + (y + 1) * rowFloats - right * n, base + (y + 1) * rowFloats);
      }
    }
  }
  if (h * w > 0) {
    const dst = offset(backend, out) + (top * wp + left) * n * 4, src = offset(backend, x);
    runSwapRows(heap(backend, kernel), [dst, src, n, w, c, h * w * c * 4, channelFloats * 4], h, rowFloats * 4, w * c * 4);
  }
  return out;
}

/**
 * `EbmSwapLeadingAxes` (see `conv2d_grads.ts`): [a, b, …rest] → [b, a, …rest], one row copy per
 * (a, b) pair (tfjs-wasm's generic transpose walks every element).
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel("EbmSwapLeadingAxes", { x }); // [100, 256, 64] → [256, 100, 64]
 * ```
 */
export function swapLeadingAxes(args: KernelArgs): tf.TensorInfo {
  const kernel = "EbmSwapLeadingAxes";
  const backend = args.backend as WasmHeapBackend;
  const x = input(args, "x", kernel);
  if (x.shape.length < 2 || x.dtype !== "float32") throw new Error(`Cannot run ${kernel} on wasm: expected a float32 tensor of rank ≥ 2, got [${x.shape}] ${x.dtype}`);
  const [a, b, ...rest] = x.shape;
  const out = backend.makeOutput([b, a, ...rest], "float32");
  const rowBytes = tf.util.sizeFromShape(rest) * 4;
  if (a * b * rowBytes > 0) simdKernelsFor(heap(backend, kernel)).swapOuterRows(offset(backend, out), offset(backend, x), a, b, rowBytes);
  return out;
}

/**
 * `Identity` (tf.clone) that shares the input's heap data, as tfjs-cpu's does: tensors are
 * immutable, and tfjs saves every output a gradient needs through a clone, so the stock copy
 * (a full memcpy of each fused layer's output per step) bought nothing. Strings go to `fallback`.
 *
 * @example
 * ```ts ignore
 * const kernelFunc = (args) => identitySharingData(args, stockIdentity.kernelFunc);
 * ```
 */
export function identitySharingData(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const x = input(args, "x", "Identity");
  if (x.dtype === "string") return fallback(args as unknown as Parameters<tf.KernelFunc>[0]);
  (args.backend as WasmHeapBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * `Sum` that handles the bias-gradient case (float32, every axis but the last) itself and hands
 * every other reduction to `fallback`, the backend's own kernel.
 *
 * @example
 * ```ts ignore
 * const kernelFunc = (args) => sumLeadingAxes(args, stockSum.kernelFunc);
 * ```
 */
export function sumLeadingAxes(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const x = input(args, "x", "Sum");
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== "float32") return fallback(args as unknown as Parameters<tf.KernelFunc>[0]);
  const backend = args.backend as WasmHeapBackend;
  const channels = x.shape[rank - 1];
  const out = backend.makeOutput(keepDims ? [...new Array(rank - 1).fill(1), channels] : [channels], "float32");
  float32(backend, x, "Sum");
  const rows = channels === 0 ? 0 : tf.util.sizeFromShape(x.shape) / channels;
  // float64 accumulators in the heap (a scratch tensor's memory), widened sums in row order.
  const scratch = backend.makeOutput([2 * channels], "float32");
  try {
    const accAddr = offset(backend, scratch);
    const memory = heap(backend, "Sum");
    new Float64Array(memory.buffer, accAddr, channels).fill(0);
    if (rows > 0) simdKernelsFor(memory).sumRows(accAddr, offset(backend, x), rows, channels);
    float32(backend, out, "Sum").set(new Float64Array(memory.buffer, accAddr, channels));
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return out;
}
