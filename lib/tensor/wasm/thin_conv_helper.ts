/**
 * Runs the project's own wasm kernels on two threads when the threaded wasm backend is up: the
 * calling thread takes one part, one helper thread (`thin_conv_worker.ts`, sharing the backend's
 * heap) the other — thin-convolution forward and input gradient by images, the thin filter
 * gradient by taps (whole rows of the gradient), the padded batch↔channel swap by image rows,
 * the leaky-ReLU gradient by elements. Every split is over disjoint outputs with the same
 * per-element arithmetic, so results are bit-identical to one thread. XNNPACK's pool cannot run
 * our own code, hence this one extra thread; it sleeps in `Atomics.wait` between calls, which
 * XNNPACK's workers also do while our kernels run.
 *
 * The helper starts on the first large call on a shared heap (tfjs's threaded build);
 * calls run on the calling thread alone until it reports ready, after it failed, or for small
 * work (< 32,768 output elements), or when `EBM_WASM_HELPER=0`. `stopThinHelper` ends it (the
 * wasm backend's dispose calls it).
 *
 * @example
 * ```ts ignore
 * runThinForward(memory, 3, 32, true, { y, x, w, bias, n: 100, h: 32, wd: 32, oh: 32, ow: 32, pt: 1, pl: 1, kh: 3, kw: 3, alpha: 0.05 });
 * ```
 * @module
 */
import { Worker as NodeWorker } from "node:worker_threads";
import { thinConvKernelsFor } from "./thin_conv_module.ts";
import { simdKernelsFor } from "./simd_kernels.ts";
import { ARGS, CIN, CONTROL_BYTES, COUT, DONE, FAILED, FMA, OP, OP_FILTER_GRAD, OP_FORWARD, OP_INPUT_GRAD, OP_LEAKY_GRAD, OP_STOP, OP_SWAP_ROWS, READY, SEQ } from "./thin_conv_control.ts";
import { readEnvSwitch } from "../../util/env.ts";

/** Below this many output elements a call stays on the calling thread. */
export const THIN_SPLIT_MIN_ELEMENTS = 32_768;
/** How long the calling thread waits for the helper's half before giving up. */
const HELPER_TIMEOUT_MS = 60_000;

interface Helper {
  worker: NodeWorker;
  words: Int32Array;
  floats: Float32Array;
  dead: boolean;
}

const helpers = new Map<WebAssembly.Memory, Helper>();
let splitCalls = 0;

function startHelper(memory: WebAssembly.Memory): Helper {
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const worker = new NodeWorker(new URL("./thin_conv_worker.ts", import.meta.url), { workerData: { memory, control } });
  const helper: Helper = { worker, words: new Int32Array(control), floats: new Float32Array(control), dead: false };
  worker.unref();
  worker.on("error", (e: Error) => {
    helper.dead = true;
    console.warn(`wasm backend: the thin-convolution helper thread failed (${e.message}); thin layers run on one thread`);
  });
  worker.on("exit", () => (helper.dead = true));
  return helper;
}

/** The env var that turns the helper thread off ("0"): every split call then runs on the calling thread. */
export const WASM_HELPER_ENV = "EBM_WASM_HELPER";

function helperDisabled(): boolean {
  return readEnvSwitch(WASM_HELPER_ENV) === false;
}

function readyHelper(memory: WebAssembly.Memory): Helper | null {
  if (helperDisabled()) return null;
  // A shared heap means tfjs's threaded build, which only starts with ≥ 2 threads.
  if (typeof SharedArrayBuffer === "undefined" || !(memory.buffer instanceof SharedArrayBuffer)) return null;
  let helper = helpers.get(memory);
  if (helper === undefined) helpers.set(memory, helper = startHelper(memory));
  return !helper.dead && Atomics.load(helper.words, READY) === 1 ? helper : null;
}

function post(helper: Helper, op: number, cin: number, cout: number, fma: boolean, args: number[], alpha?: number): number {
  const w = helper.words;
  w[OP] = op;
  w[CIN] = cin;
  w[COUT] = cout;
  w[FMA] = fma ? 1 : 0;
  args.forEach((v, i) => (w[ARGS + i] = v));
  if (alpha !== undefined) helper.floats[ARGS + args.length] = alpha;
  const seq = Atomics.add(w, SEQ, 1) + 1;
  Atomics.notify(w, SEQ);
  return seq;
}

function awaitHelper(helper: Helper, seq: number, kernel: string): void {
  const w = helper.words;
  let done = Atomics.load(w, DONE);
  while (done !== seq) {
    if (Atomics.wait(w, DONE, done, HELPER_TIMEOUT_MS) === "timed-out") {
      helper.dead = true;
      throw new Error(`Cannot run ${kernel} on wasm: the helper thread did not finish its half within ${HELPER_TIMEOUT_MS} ms`);
    }
    done = Atomics.load(w, DONE);
  }
  if (w[FAILED] !== 0) {
    helper.dead = true;
    throw new Error(`Cannot run ${kernel} on wasm: the helper thread failed on its half`);
  }
  splitCalls++;
}

/** Arguments of the thin forward (byte addresses and sizes; see `thin_conv_module.ts`). */
export interface ThinForwardArgs {
  y: number; x: number; w: number; bias: number; n: number; h: number; wd: number; oh: number; ow: number; pt: number; pl: number; kh: number; kw: number; alpha: number;
}

/** Arguments of the thin input gradient. */
export interface ThinInputGradArgs {
  dx: number; dy: number; w: number; n: number; h: number; wd: number; oh: number; ow: number; pt: number; pl: number; kh: number; kw: number;
}

/**
 * The thin forward, split over two threads when it pays (see the module doc).
 *
 * @example
 * ```ts ignore
 * runThinForward(memory, 3, 32, useFma(), args);
 * ```
 */
export function runThinForward(memory: WebAssembly.Memory, cin: number, cout: number, fma: boolean, a: ThinForwardArgs): void {
  const k = thinConvKernelsFor(memory, cin, cout, fma);
  const helper = a.n >= 2 && a.n * a.oh * a.ow * cout >= THIN_SPLIT_MIN_ELEMENTS ? readyHelper(memory) : null;
  if (helper === null) {
    k.forward(a.y, a.x, a.w, a.bias, a.n, a.h, a.wd, a.oh, a.ow, a.pt, a.pl, a.kh, a.kw, a.alpha);
    return;
  }
  const mine = a.n >> 1;
  const seq = post(helper, OP_FORWARD, cin, cout, fma, [
    a.y + mine * a.oh * a.ow * cout * 4, a.x + mine * a.h * a.wd * cin * 4, a.w, a.bias, a.n - mine, a.h, a.wd, a.oh, a.ow, a.pt, a.pl, a.kh, a.kw,
  ], a.alpha);
  k.forward(a.y, a.x, a.w, a.bias, mine, a.h, a.wd, a.oh, a.ow, a.pt, a.pl, a.kh, a.kw, a.alpha);
  awaitHelper(helper, seq, "EbmConv2DBiasLeakyRelu");
}

/**
 * The thin input gradient, split over two threads when it pays.
 *
 * @example
 * ```ts ignore
 * runThinInputGrad(memory, 3, 32, useFma(), args);
 * ```
 */
export function runThinInputGrad(memory: WebAssembly.Memory, cin: number, cout: number, fma: boolean, a: ThinInputGradArgs): void {
  const k = thinConvKernelsFor(memory, cin, cout, fma);
  const helper = a.n >= 2 && a.n * a.h * a.wd * cout >= THIN_SPLIT_MIN_ELEMENTS ? readyHelper(memory) : null;
  if (helper === null) {
    k.inputGrad(a.dx, a.dy, a.w, a.n, a.h, a.wd, a.oh, a.ow, a.pt, a.pl, a.kh, a.kw);
    return;
  }
  const mine = a.n >> 1;
  const seq = post(helper, OP_INPUT_GRAD, cin, cout, fma, [
    a.dx + mine * a.h * a.wd * cin * 4, a.dy + mine * a.oh * a.ow * cout * 4, a.w, a.n - mine, a.h, a.wd, a.oh, a.ow, a.pt, a.pl, a.kh, a.kw,
  ]);
  k.inputGrad(a.dx, a.dy, a.w, mine, a.h, a.wd, a.oh, a.ow, a.pt, a.pl, a.kh, a.kw);
  awaitHelper(helper, seq, "EbmThinInputGrad");
}

/** Arguments of the thin filter gradient (x unpadded). */
export interface ThinFilterGradArgs {
  acc: number; x: number; dy: number; n: number; oh: number; ow: number; kh: number; kw: number; h: number; wd: number; pt: number; pl: number;
}

/**
 * The thin filter gradient (accumulating into `acc`), its taps split over two threads when it
 * pays: each thread owns whole rows of the gradient, so results equal one thread's bit for bit.
 *
 * @example
 * ```ts ignore
 * runThinFilterGrad(memory, 3, 32, useFma(), args);
 * ```
 */
export function runThinFilterGrad(memory: WebAssembly.Memory, cin: number, cout: number, fma: boolean, a: ThinFilterGradArgs): void {
  const k = thinConvKernelsFor(memory, cin, cout, fma);
  const taps = a.kh * a.kw;
  const helper = taps >= 2 && a.n * a.oh * a.ow * cout >= THIN_SPLIT_MIN_ELEMENTS ? readyHelper(memory) : null;
  const args = [a.acc, a.x, a.dy, a.n, a.oh, a.ow, a.kh, a.kw, a.h, a.wd, a.pt, a.pl] as const;
  if (helper === null) {
    k.filterGrad(...args, 0, taps);
    return;
  }
  const mine = taps >> 1;
  const seq = post(helper, OP_FILTER_GRAD, cin, cout, fma, [...args, mine, taps]);
  k.filterGrad(...args, 0, mine);
  awaitHelper(helper, seq, "EbmThinFilterGrad");
}

/**
 * `swapRows` of `simd_kernels.ts` over image rows [0, h), split by rows over two threads when it
 * pays (rows are disjoint parts of the output).
 *
 * @example
 * ```ts ignore
 * runSwapRows(memory, [dst, src, n, w, c, srcStrideA, dstStrideC], h, dstRowBytes, srcRowBytes);
 * ```
 */
export function runSwapRows(memory: WebAssembly.Memory, base: readonly [number, number, number, number, number, number, number], h: number, dstRowBytes: number, srcRowBytes: number): void {
  const [, , a, w, c] = base;
  const simd = simdKernelsFor(memory);
  const helper = h >= 2 && a * w * c * h >= THIN_SPLIT_MIN_ELEMENTS ? readyHelper(memory) : null;
  if (helper === null) {
    simd.swapRows(...base, 0, h, dstRowBytes, srcRowBytes);
    return;
  }
  const mine = h >> 1;
  const seq = post(helper, OP_SWAP_ROWS, 0, 0, false, [...base, mine, h, dstRowBytes, srcRowBytes]);
  simd.swapRows(...base, 0, mine, dstRowBytes, srcRowBytes);
  awaitHelper(helper, seq, "EbmSwapBatchChannels");
}

/**
 * `leakyGrad` of `simd_kernels.ts` over n elements, split in two (at a multiple of 4) when it pays.
 *
 * @example
 * ```ts ignore
 * runLeakyGrad(memory, dx, y, dy, n, 0.05);
 * ```
 */
export function runLeakyGrad(memory: WebAssembly.Memory, dx: number, y: number, dy: number, n: number, alpha: number): void {
  const simd = simdKernelsFor(memory);
  const helper = n >= 2 * THIN_SPLIT_MIN_ELEMENTS ? readyHelper(memory) : null;
  if (helper === null) {
    simd.leakyGrad(dx, y, dy, n, alpha);
    return;
  }
  const mine = (n >> 1) & ~3, skip = mine * 4;
  const seq = post(helper, OP_LEAKY_GRAD, 0, 0, false, [dx + skip, y + skip, dy + skip, n - mine], alpha);
  simd.leakyGrad(dx, y, dy, mine, alpha);
  awaitHelper(helper, seq, "EbmLeakyReluGradFromOutput");
}

/**
 * Starts the helper for `memory` now (where the backend is threaded) and resolves once it is
 * ready (true), or false where no helper applies or it did not come up within `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * await startThinHelper(memory); // the next large thin call is split
 * ```
 */
export async function startThinHelper(memory: WebAssembly.Memory, timeoutMs = 30_000): Promise<boolean> {
  readyHelper(memory);
  const helper = helpers.get(memory);
  if (helper === undefined) return false;
  const end = performance.now() + timeoutMs;
  while (!helper.dead && Atomics.load(helper.words, READY) !== 1 && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
  return !helper.dead && Atomics.load(helper.words, READY) === 1;
}

/**
 * Stops the helper thread of `memory` (every helper when omitted); the next large call starts a
 * new one if the backend is still threaded.
 *
 * @example
 * ```ts
 * stopThinHelper(); // before tf.removeBackend("wasm") in a test
 * ```
 */
export function stopThinHelper(memory?: WebAssembly.Memory): void {
  for (const [m, helper] of [...helpers]) {
    if (memory !== undefined && m !== memory) continue;
    helpers.delete(m);
    if (!helper.dead) {
      helper.words[OP] = OP_STOP;
      Atomics.add(helper.words, SEQ, 1);
      Atomics.notify(helper.words, SEQ);
    }
    helper.dead = true;
    void helper.worker.terminate();
  }
}

/**
 * Thin-kernel calls whose second half ran on a helper thread so far, and live helpers (tests).
 *
 * @example
 * ```ts
 * thinHelperStats(); // { splitCalls: 12, helpers: 1 }
 * ```
 */
export function thinHelperStats(): { splitCalls: number; helpers: number } {
  return { splitCalls, helpers: [...helpers.values()].filter((h) => !h.dead).length };
}
