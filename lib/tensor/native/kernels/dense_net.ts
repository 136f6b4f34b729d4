/**
 * The dense-net kernels on the project's C code (contracts in `lib/tensor/kernels/kernel_names.ts`):
 * `EbmDenseMlGrads`, the weight gradient of the ML loss in one call, and
 * `EbmDenseLangevinChain`, a whole short-run chain of a
 * dense leaky-ReLU network in one call into the project's C kernel (`../c/dense_net.c`, built
 * by `../c_build.ts` with gcc on first use). Per step it does what the per-step path does in
 * about 30 tfjs kernels (forward, input gradient, update, statistics), with no tensors, no
 * dispatch and the weights in cache. The step means are taken here from the C code's per-image
 * energies and norms exactly as the native `EbmLangevinUpdate` takes them.
 *
 * A chain splits its 32-row blocks over the backend's OpenMP threads (results do not depend on
 * the count) when it has at least two blocks and its work reaches the backend's single-thread
 * limit ({@link SINGLE_THREAD_WORK}); the threads join once per chain, not once per step, so a
 * shared machine's descheduled worker can stall a chain at most once.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: DENSE_LANGEVIN_CHAIN, backendName: "native", kernelFunc: makeDenseLangevinChain(ctx) });
 * ```
 * @module
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { float32Values, type NativeContext } from "./context.ts";
import { cpuMean } from "./langevin_update.ts";
import { buildCLibrary, DENSE_NET_SOURCE } from "../c_build.ts";
import { resolveThreadCount } from "../threads.ts";
import { SINGLE_THREAD_WORK } from "../dnnl.ts";
import { DENSE_LANGEVIN_CHAIN, DENSE_ML_GRADS, KernelUnavailableError } from "../../kernels/kernel_names.ts";

/** Rows per block of the C kernel (BLOCK_ROWS in dense_net.c): a chain needs two blocks to split. */
const BLOCK_ROWS = 32;

const SYMBOLS = {
  ebm_dense_langevin_chain: {
    parameters: ["i32", "i32", "buffer", "buffer", "f32", "f32", "i32", "buffer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  ebm_dense_ml_grads: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer", "f32", "f32", "f32", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;

/** Opens the compiled dense-net kernels (building them first when needed); `kernel` names the caller in errors. */
function chainLibrary(kernel: string): Deno.DynamicLibrary<typeof SYMBOLS> {
  if (!library) {
    let path: string;
    try {
      path = buildCLibrary(DENSE_NET_SOURCE);
    } catch (error) {
      throw new KernelUnavailableError(kernel, (error as Error).message);
    }
    library = Deno.dlopen(path, SYMBOLS);
  }
  return library;
}

function failer(kernel: string): (message: string) => never {
  return (message) => {
    throw new Error(`Cannot run ${kernel}: ${message}`);
  };
}

function finiteAttr(fail: (m: string) => never, attrs: Record<string, unknown>, name: string, min = -Infinity): number {
  const v = attrs[name];
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) fail(`attribute '${name}' must be a finite number ≥ ${min}, got ${v}`);
  return v as number;
}

function countAttr(fail: (m: string) => never, attrs: Record<string, unknown>, name: string, min: number): number {
  const v = attrs[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) fail(`attribute '${name}' must be an integer ≥ ${min}, got ${v}`);
  return v as number;
}

/** The layer widths (from D to 1) and the packed weights and biases of inputs w0, b0, …. */
function packStack(fail: (m: string) => never, backend: MathBackendCPU, inputs: Record<string, TensorInfo | undefined>, layers: number, d: number) {
  if (layers > 16) fail(`at most 16 layers, got ${layers}`);
  const widths = new Int32Array(layers + 1);
  widths[0] = d;
  const parts: Float32Array[] = [];
  for (let l = 0; l < layers; l++) {
    const w = inputs[`w${l}`], b = inputs[`b${l}`];
    const ws = float32Values(backend, w), bs = float32Values(backend, b);
    if (!w || !ws || !bs || w.shape.length !== 2 || w.shape[0] !== widths[l] || bs.length !== w.shape[1]) {
      fail(`expected float32 w${l} [${widths[l]}, out] and b${l} [out], got ${w?.dtype} [${w?.shape}], ${b?.dtype} [${b?.shape}]`);
    }
    widths[l + 1] = w!.shape[1];
    parts.push(ws!, bs!);
  }
  if (widths[layers] !== 1) fail(`the last layer must have one output (the energy), got ${widths[layers]}`);
  const params = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    params.set(p, o);
    o += p.length;
  }
  return { widths, params };
}

/** The native `EbmDenseLangevinChain` kernel. */
export function makeDenseLangevinChain(ctx: NativeContext): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as Record<string, unknown>;
    const fail = failer(DENSE_LANGEVIN_CHAIN);
    const epsilon = finiteAttr(fail, attrs, "epsilon");
    const alpha = finiteAttr(fail, attrs, "alpha", 0);
    const layers = countAttr(fail, attrs, "layers", 1);
    const steps = countAttr(fail, attrs, "steps", 0);
    const x = inputs.x, xs = float32Values(backend, x);
    if (!x || !xs || x.shape.length !== 2) fail(`expected float32 x [N, D], got ${x?.dtype} [${x?.shape}]`);
    const [n, d] = x!.shape;
    const noise = float32Values(backend, inputs.noise);
    const noiseShape = inputs.noise?.shape ?? [];
    if (!noise || noiseShape.length !== 3 || noiseShape[0] !== steps || noiseShape[1] !== n || noiseShape[2] !== d) {
      fail(`expected float32 noise [${steps}, ${n}, ${d}], got ${inputs.noise?.dtype} [${noiseShape}]`);
    }
    const { widths, params } = packStack(fail, backend, inputs, layers, d);
    const next = ctx.output(n * d);
    next.set(xs!);
    const energies = new Float32Array(steps * n), norms = new Float32Array(steps * n);
    let flopsPerRow = 0;
    for (let l = 0; l < layers; l++) flopsPerRow += 4 * widths[l] * widths[l + 1]; // forward + input gradient
    const threads = n >= 2 * BLOCK_ROWS && steps * n * flopsPerRow >= SINGLE_THREAD_WORK ? resolveThreadCount() : 1;
    const status = chainLibrary(DENSE_LANGEVIN_CHAIN).symbols.ebm_dense_langevin_chain(n, layers, widths, params, Math.fround(alpha), Math.fround(epsilon), steps, noise!, next, energies, norms, threads);
    if (status !== 0) fail(status === -2 ? "out of memory" : `the C kernel rejected the sizes (status ${status})`);
    const stats = new Float32Array(2 * steps);
    for (let s = 0; s < steps; s++) {
      stats[2 * s] = cpuMean(energies.subarray(s * n, (s + 1) * n));
      stats[2 * s + 1] = cpuMean(norms.subarray(s * n, (s + 1) * n));
    }
    return [backend.makeTensorInfo([n, d], "float32", next), backend.makeTensorInfo([steps, 2], "float32", stats)];
  };
}

/**
 * The native `EbmDenseMlGrads` kernel: one C call for the forward and backward passes of both
 * batches; the loss from the returned energies as tfjs's Mean, Sub and Mul round it.
 */
export function makeDenseMlGrads(ctx: NativeContext): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as Record<string, unknown>;
    const fail = failer(DENSE_ML_GRADS);
    const scale = finiteAttr(fail, attrs, "scale");
    const alpha = finiteAttr(fail, attrs, "alpha", 0);
    const layers = countAttr(fail, attrs, "layers", 1);
    const pos = inputs.pos, neg = inputs.neg, ps = float32Values(backend, pos), ns = float32Values(backend, neg);
    if (!pos || !neg || !ps || !ns || pos.shape.length !== 2 || neg.shape.length !== 2 || pos.shape[1] !== neg.shape[1] || pos.shape[0] < 1 || neg.shape[0] < 1) {
      fail(`expected float32 pos [P, D] and neg [M, D] with P, M ≥ 1, got ${pos?.dtype} [${pos?.shape}], ${neg?.dtype} [${neg?.shape}]`);
    }
    const [np, d] = pos!.shape, nn = neg!.shape[0];
    const { widths, params } = packStack(fail, backend, inputs, layers, d);
    const grads = new Float32Array(params.length), energies = new Float32Array(np + nn);
    // The mean's gradient, dy/n, with dy = scale as a float32 scalar.
    const s = Math.fround(scale);
    const status = chainLibrary(DENSE_ML_GRADS).symbols.ebm_dense_ml_grads(np, nn, layers, widths, params, Math.fround(alpha), Math.fround(s / np), Math.fround(-s / nn), ps!, ns!, grads, energies);
    if (status !== 0) fail(status === -2 ? "out of memory" : `the C kernel rejected the sizes (status ${status})`);
    const loss = Math.fround(Math.fround(cpuMean(energies.subarray(0, np)) - cpuMean(energies.subarray(np))) * s);
    const outs: TensorInfo[] = [backend.makeTensorInfo([], "float32", new Float32Array([loss]))];
    let o = 0;
    for (let l = 0; l < layers; l++) {
      const w = widths[l] * widths[l + 1], b = widths[l + 1];
      const gw = ctx.output(w), gb = ctx.output(b);
      gw.set(grads.subarray(o, o + w));
      gb.set(grads.subarray(o + w, o + w + b));
      o += w + b;
      outs.push(backend.makeTensorInfo([widths[l], widths[l + 1]], "float32", gw), backend.makeTensorInfo([widths[l + 1]], "float32", gb));
    }
    return outs;
  };
}
