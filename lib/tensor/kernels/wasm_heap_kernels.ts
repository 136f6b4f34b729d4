/**
 * Kernels for the wasm backend written as single JS passes over its heap, where the stock path
 * costs several kernels and full-size temporaries:
 * - the fused conv layer's activation backward (`EbmLeakyReluGradFromOutput`): one SIMD pass
 *   (`lib/tensor/wasm/simd_kernels.ts`) instead of lessEqual + mul + select (three outputs of
 *   the activation's size);
 * - `Sum` over every axis but the last (a bias gradient): per-channel float64 accumulation in one
 *   pass, where tfjs-wasm first transposes the whole tensor so the reduced axes are innermost.
 *   Other reductions go to the stock kernel.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: LEAKY_RELU_GRAD_FROM_OUTPUT, backendName: "wasm", kernelFunc: leakyReluGradFromOutput });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { simdKernelsFor } from "../wasm/simd_kernels.ts";

/** The part of tfjs-backend-wasm's BackendWasm that JS kernels use to work on its heap. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  wasm: { asm?: { memory?: WebAssembly.Memory }; heapMemory?: WebAssembly.Memory };
}

/** The backend's heap: exported by tfjs's single-threaded build, kept by `threaded.ts` otherwise. */
function heap(backend: WasmHeapBackend, kernel: string): WebAssembly.Memory {
  const memory = backend.wasm.heapMemory ?? backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error(`Cannot run ${kernel} on wasm: the backend's heap memory is not reachable`);
  return memory;
}

function offset(backend: WasmHeapBackend, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/** What tfjs passes to a kernel function. */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

function input(args: KernelArgs, name: string, kernel: string): tf.TensorInfo {
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
 * `lib/nets/kernel_names.ts`; where y is NaN (unspecified there) dy passes, as on oneDNN.
 *
 * @example
 * ```ts
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
  simdKernelsFor(heap(backend, kernel)).leakyGrad(offset(backend, out), offset(backend, yInfo), offset(backend, dyInfo), tf.util.sizeFromShape(dyInfo.shape), alpha);
  return out;
}

/**
 * `EbmInterleave2` (see `stack_pair.ts`): a and b stacked on a new axis `axis`, as row copies.
 *
 * @example
 * ```ts
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
 * `EbmThinFilterGrad` (see `conv2d_grads.ts`): the stride-1 filter gradient of a thin layer,
 * accumulated in float32 over the pixels in order, as the matMul it replaces does.
 *
 * @example
 * ```ts
 * tf.engine().runKernel("EbmThinFilterGrad", { xp, dy }, { filterShape: [3, 3, 3, 32] });
 * ```
 */
export function thinFilterGrad(args: KernelArgs): tf.TensorInfo {
  const kernel = "EbmThinFilterGrad";
  const backend = args.backend as WasmHeapBackend;
  const xp = input(args, "xp", kernel), dy = input(args, "dy", kernel);
  const [kh, kw, cin, cout] = (args.attrs as { filterShape: number[] }).filterShape;
  const [n, oh, ow, dyc] = dy.shape, [xn, hp, wp, xc] = xp.shape;
  if (xp.dtype !== "float32" || dy.dtype !== "float32" || xn !== n || xc !== cin || dyc !== cout || hp !== oh + kh - 1 || wp !== ow + kw - 1 || cout % 4 !== 0) {
    throw new Error(`Cannot run ${kernel} on wasm: xp [${xp.shape}] and dy [${dy.shape}] do not fit filter [${kh},${kw},${cin},${cout}] at stride 1 (cout must be a multiple of 4)`);
  }
  const out = backend.makeOutput([kh, kw, cin, cout], "float32");
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0); // the kernel accumulates into it
  if (n * oh * ow > 0) {
    simdKernelsFor(heap(backend, kernel)).thinFilterGrad(offset(backend, out), offset(backend, xp), offset(backend, dy), n, oh, ow, kh, kw, cin, cout, wp);
  }
  return out;
}

/**
 * `EbmSwapBatchChannels` (see `conv2d_grads.ts`): [n, h, w, c] → [c, h, w, n] for n and c
 * multiples of 4.
 *
 * @example
 * ```ts
 * tf.engine().runKernel("EbmSwapBatchChannels", { x }); // [100, 34, 34, 32] → [32, 34, 34, 100]
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
  const out = backend.makeOutput([c, h, w, n], "float32");
  if (n * h * w * c > 0) simdKernelsFor(heap(backend, kernel)).swapOuterInner(offset(backend, out), offset(backend, x), n, h * w, c);
  return out;
}

/**
 * `Sum` that handles the bias-gradient case (float32, every axis but the last) itself and hands
 * every other reduction to `fallback`, the backend's own kernel.
 *
 * @example
 * ```ts
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
  const values = float32(backend, x, "Sum"), result = float32(backend, out, "Sum");
  const acc = new Float64Array(channels);
  for (let base = 0; base < values.length; base += channels) {
    for (let c = 0; c < channels; c++) acc[c] += values[base + c];
  }
  result.set(acc);
  return out;
}
