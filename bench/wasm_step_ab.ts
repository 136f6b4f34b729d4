/**
 * This session's wasm kernels against the previous ones, both in one process, interleaved rep
 * by rep (order alternating), so a busy machine slows both alike: VanillaNet (32×32×3, n_f 32)
 * Langevin step and weight step (∇θ of mean f(x+) − mean f(x−), two passes as training does),
 * plus the first layer's kernels alone.
 *
 * "before" swaps the old kernels back in at run time: XNNPACK's FusedConv2D for the thin first
 * layer and phase convolutions for its input gradient, the pixel-by-pixel thin filter gradient,
 * stride-2 phases interleaved in two levels, the copying Identity, the bias-gradient Sum as a JS
 * loop, a padded copy before the filter gradient's batch↔channel swap and tfjs's transposes of
 * dy and of the filter gradient. "after" is the
 * registered state: thin SIMD kernels (split over two threads on the threaded backend), the
 * one-pass four-phase interleave, the data-sharing Identity, the SIMD Sum, the padding swap and
 * row-copy transposes.
 *
 * One more row compares, with the current kernels, the weight step as two passes of the batch
 * (`paramGrads`, what training does) against one pass over [x+; x−] (`mlLossGrads`), the
 * proposed batching of the weight step.
 *
 * Prints medians per configuration and the median of the per-rep ratios (before / after), for
 * elapsed time and for the process's CPU time (with one thread the CPU time hardly depends on
 * what else the machine runs).
 *
 * Usage: deno run -A bench/wasm_step_ab.ts [--reps N (default 7)] [--batch N (default 100)]
 *   (threads from EBM_WASM_THREADS as everywhere)
 *
 * @example
 * ```sh
 * EBM_WASM_THREADS=1 deno run -A bench/wasm_step_ab.ts --reps 7
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { backendInfo, initBackend } from "../lib/tensor/backend.ts";
import { createNet } from "../lib/nets/net.ts";
import { gaussianNoise, langevinStep } from "../lib/ebm/langevin.ts";
import { mlLossGrads, paramGrads } from "../lib/ebm/grads.ts";
import { stockKernel } from "../lib/tensor/project_kernels.ts";
import { SWAP_BATCH_CHANNELS, SWAP_LEADING_AXES, THIN_FILTER_GRAD } from "../lib/tensor/kernels/conv2d_grads.ts";
import { INTERLEAVE_PHASES_2X2 } from "../lib/tensor/kernels/stack_pair.ts";
import { heap, input, type KernelArgs, offset, type WasmHeapBackend } from "../lib/tensor/wasm/heap_kernels.ts";
import { simdKernelsFor } from "../lib/tensor/wasm/simd_kernels.ts";
import { CONV_BIAS_LEAKY_RELU, THIN_INPUT_GRAD } from "../lib/tensor/kernels/kernel_names.ts";
import { Random } from "../lib/util/random.ts";
import { benchFlags, median, positiveIntFlag, runMain } from "./cli_args.ts";

benchFlags("Usage: deno run -A bench/wasm_step_ab.ts [--reps N (default 7)] [--batch N (default 100)]", ["reps", "batch"]);

/** The previous session's layer kernel: XNNPACK's FusedConv2D for every layer. */
function xnnpackLayer(args: KernelArgs): tf.TensorInfo {
  const attrs = args.attrs as unknown as { strides: number; pad: unknown; alpha: number };
  const t = (k: string) => input(args, k, CONV_BIAS_LEAKY_RELU) as tf.Tensor;
  return tf.engine().runKernel("FusedConv2D", { x: t("x"), filter: t("filter"), bias: t("bias") }, {
    strides: attrs.strides, pad: attrs.pad, dataFormat: "NHWC", dilations: 1, dimRoundingMode: undefined, activation: "leakyrelu", leakyreluAlpha: attrs.alpha,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** The previous session's thin filter gradient: one pixel at a time, accumulating in memory. */
function pixelByPixelFilterGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmHeapBackend;
  const x = input(args, "x", THIN_FILTER_GRAD) as tf.Tensor4D, dy = input(args, "dy", THIN_FILTER_GRAD);
  const attrs = args.attrs as { filterShape: number[]; pad?: { top: number; left: number } };
  const [kh, kw, cin, cout] = attrs.filterShape;
  const [n, oh, ow] = dy.shape;
  // As before, a padded copy of x first (PadV2), then the pixel-by-pixel pass over it.
  const { top, left } = attrs.pad ?? { top: 0, left: 0 };
  const xp = tf.pad(x, [[0, 0], [top, oh + kh - 1 - x.shape[1] - top], [left, ow + kw - 1 - x.shape[2] - left], [0, 0]]);
  const out = backend.makeOutput([kh, kw, cin, cout], "float32");
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  simdKernelsFor(heap(backend, THIN_FILTER_GRAD)).thinFilterGrad(offset(backend, out), offset(backend, xp), offset(backend, dy), n, oh, ow, kh, kw, cin, cout, xp.shape[2]);
  xp.dispose();
  return out;
}

/** The previous session's bias-gradient Sum: a float64 JS loop over the heap. */
function jsLoopSum(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const x = input(args, "x", "Sum");
  const { axis } = args.attrs as { axis: number | number[] };
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (x.dtype !== "float32" || x.shape.length < 2 || axes.length !== x.shape.length - 1 || !axes.every((a, i) => a === i)) {
    return saved.get("Sum")!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
  }
  const backend = args.backend as WasmHeapBackend;
  const channels = x.shape[x.shape.length - 1];
  const keepDims = (args.attrs as { keepDims?: boolean }).keepDims === true;
  const out = backend.makeOutput(keepDims ? [...new Array(x.shape.length - 1).fill(1), channels] : [channels], "float32");
  const values = backend.typedArrayFromHeap(x) as Float32Array, acc = new Float64Array(channels);
  for (let base = 0; base < values.length; base += channels) for (let c = 0; c < channels; c++) acc[c] += values[base + c];
  (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
}

/** The previous session's filter-gradient layout step: a padded copy (PadV2), then the swap. */
function padThenSwap(args: KernelArgs): tf.TensorInfo {
  const pad = (args.attrs as { pad?: { top: number; bottom: number; left: number; right: number } } | undefined)?.pad;
  const x = input(args, "x", SWAP_BATCH_CHANNELS) as tf.Tensor4D;
  if (pad === undefined) return saved.get(SWAP_BATCH_CHANNELS)!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const xp = tf.pad(x, [[0, 0], [pad.top, pad.bottom], [pad.left, pad.right], [0, 0]]);
  const out = tf.engine().runKernel(SWAP_BATCH_CHANNELS, { x: xp }) as tf.Tensor;
  xp.dispose();
  return out;
}

type Config = "before" | "after";
const saved = new Map<string, tf.KernelConfig>();

function swapKernel(name: string, kernelFunc: tf.KernelFunc | undefined): void {
  if (tf.getKernel(name, "wasm") !== undefined) tf.unregisterKernel(name, "wasm");
  if (kernelFunc !== undefined) tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc });
}

function useConfig(config: Config): void {
  for (const name of [CONV_BIAS_LEAKY_RELU, THIN_INPUT_GRAD, THIN_FILTER_GRAD, INTERLEAVE_PHASES_2X2, SWAP_BATCH_CHANNELS, SWAP_LEADING_AXES, "Sum", "Identity"]) {
    if (!saved.has(name)) saved.set(name, tf.getKernel(name, "wasm")!);
  }
  if (config === "after") {
    for (const [name, k] of saved) swapKernel(name, k.kernelFunc);
    return;
  }
  swapKernel(CONV_BIAS_LEAKY_RELU, xnnpackLayer as unknown as tf.KernelFunc);
  swapKernel(THIN_INPUT_GRAD, undefined); // conv2dInputGrad falls back to its phase convolutions
  swapKernel(INTERLEAVE_PHASES_2X2, undefined); // stride-2 phases: two levels of pair interleaves
  swapKernel(THIN_FILTER_GRAD, pixelByPixelFilterGrad as unknown as tf.KernelFunc);
  swapKernel("Identity", stockKernel("wasm", "Identity")!.kernelFunc);
  swapKernel("Sum", jsLoopSum as unknown as tf.KernelFunc);
  swapKernel(SWAP_BATCH_CHANNELS, padThenSwap as unknown as tf.KernelFunc);
  swapKernel(SWAP_LEADING_AXES, undefined); // the filter gradient's dy/output transposes on tf.transpose
}

async function main(): Promise<void> {
  const reps = positiveIntFlag("reps", 7);
  const batch = positiveIntFlag("batch", 100);
  await initBackend("wasm");
  const info = backendInfo();
  const net = createNet("vanilla", { n_c: 3, n_f: 32 }, 0);
  const rng = new Random(1), shape = [batch, 32, 32, 3], eps = 0.015;
  const x = tf.tensor(rng.uniformArray(batch * 3072, -1, 1), shape), xNeg = tf.tensor(rng.uniformArray(batch * 3072, -1, 1), shape);
  const w0 = net.params[0].variable, b0 = net.params[1].variable;
  const pad = [[0, 0], [1, 1], [1, 1], [0, 0]];
  const dy0 = tf.tensor(rng.uniformArray(batch * 32 * 32 * 32, -1, 1), [batch, 32, 32, 32]) as tf.Tensor4D;
  const twoPasses = () => tf.dispose(Object.values(paramGrads(net, () => tf.mul(tf.sub(tf.mean(net.energy(x)), tf.mean(net.energy(xNeg))), 2 / eps ** 2) as tf.Scalar).grads));
  const onePass = () => tf.dispose(Object.values(mlLossGrads(net, x, xNeg, 2 / eps ** 2).grads));
  const ops: Record<string, Record<Config, () => void>> = {
    "layer 1 forward": {
      before: () => tf.tidy(() => void tf.engine().runKernel(CONV_BIAS_LEAKY_RELU, { x, filter: w0, bias: b0 }, { strides: 1, pad, alpha: 0.05 } as unknown as tf.NamedAttrMap)),
      after: () => tf.tidy(() => void tf.engine().runKernel(CONV_BIAS_LEAKY_RELU, { x, filter: w0, bias: b0 }, { strides: 1, pad, alpha: 0.05 } as unknown as tf.NamedAttrMap)),
    },
    "layer 1 input grad": {
      before: () => tf.tidy(() => void tf.engine().runKernel("Conv2DBackpropInput", { dy: dy0, filter: w0 }, { strides: 1, pad, dataFormat: "NHWC", inputShape: shape } as unknown as tf.NamedAttrMap)),
      after: () => tf.tidy(() => void tf.engine().runKernel("Conv2DBackpropInput", { dy: dy0, filter: w0 }, { strides: 1, pad, dataFormat: "NHWC", inputShape: shape } as unknown as tf.NamedAttrMap)),
    },
    "layer 1 filter grad": {
      before: () => tf.tidy(() => void tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dy0 }, { strides: 1, pad, dataFormat: "NHWC", filterShape: w0.shape } as unknown as tf.NamedAttrMap)),
      after: () => tf.tidy(() => void tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dy0 }, { strides: 1, pad, dataFormat: "NHWC", filterShape: w0.shape } as unknown as tf.NamedAttrMap)),
    },
    "langevin step": {
      before: () => {
        const noise = gaussianNoise(shape, rng), step = langevinStep(net, xNeg, noise, eps);
        tf.dispose([noise, step.x]);
      },
      after: () => {
        const noise = gaussianNoise(shape, rng), step = langevinStep(net, xNeg, noise, eps);
        tf.dispose([noise, step.x]);
      },
    },
    "weight step (grads)": { before: twoPasses, after: twoPasses },
    "2×100 vs 1×200 pass": { before: twoPasses, after: onePass },
  };
  /** Rows whose "before" runs with the current kernels (they compare something else). */
  const currentKernelsOnly = new Set(["2×100 vs 1×200 pass"]);
  const load = () => Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
  console.log(`wasm ${info.threads} thread(s), batch ${batch}, ${reps} interleaved reps after 1 warm-up each; load average ${load()}`);
  console.log("wall: elapsed time; cpu: this process's CPU time (all threads; with one thread it is robust to a busy machine)");
  console.log("op                     before ms   after ms   before/after   cpu before   cpu after   cpu ratio");
  for (const [name, pair] of Object.entries(ops)) {
    const times: Record<Config, number[]> = { before: [], after: [] };
    const cpu: Record<Config, number[]> = { before: [], after: [] };
    const ratios: number[] = [], cpuRatios: number[] = [];
    const kernelsFor = (c: Config): Config => currentKernelsOnly.has(name) ? "after" : c;
    for (const c of ["before", "after"] as Config[]) {
      useConfig(kernelsFor(c));
      pair[c]();
    }
    for (let r = 0; r < reps; r++) {
      const order: Config[] = r % 2 ? ["after", "before"] : ["before", "after"];
      const t: Partial<Record<Config, number>> = {}, u: Partial<Record<Config, number>> = {};
      for (const c of order) {
        useConfig(kernelsFor(c));
        const u0 = process.cpuUsage(), t0 = performance.now();
        pair[c]();
        t[c] = performance.now() - t0;
        const du = process.cpuUsage(u0);
        u[c] = (du.user + du.system) / 1000;
        times[c].push(t[c]!);
        cpu[c].push(u[c]!);
      }
      ratios.push(t.before! / t.after!);
      cpuRatios.push(u.before! / u.after!);
    }
    const f = (v: number, w: number) => v.toFixed(1).padStart(w);
    console.log(`${name.padEnd(22)} ${f(median(times.before), 9)} ${f(median(times.after), 10)} ${median(ratios).toFixed(3).padStart(14)} ${f(median(cpu.before), 12)} ${f(median(cpu.after), 11)} ${median(cpuRatios).toFixed(3).padStart(11)}`);
  }
  useConfig("after");
  console.log(`load average at the end ${load()}`);
  tf.dispose([x, xNeg, dy0]);
  net.dispose();
}

if (import.meta.main) await runMain(main);
