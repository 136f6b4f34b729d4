/**
 * Entry point of the helper thread of the project's wasm kernels (started by
 * `thin_conv_helper.ts` through `node:worker_threads`, unref'd so it never keeps a process
 * alive). It instantiates the thin-convolution and heap-pass kernels on the backend's shared heap
 * and runs the second part of each split call: it sleeps
 * in `Atomics.wait` on the control block's sequence word, runs the call described there and
 * publishes the sequence number it finished (see `thin_conv_helper.ts` for the layout).
 *
 * @example
 * ```ts ignore
 * new Worker(new URL("./thin_conv_worker.ts", import.meta.url), { workerData: { memory, control } });
 * ```
 * @module
 */
import { workerData } from "node:worker_threads";
import { thinConvKernelsFor } from "./thin_conv_module.ts";
import { simdKernelsFor } from "./simd_kernels.ts";
import { ARGS, CIN, COUT, DONE, FAILED, FMA, OP, OP_FILTER_GRAD, OP_FORWARD, OP_INPUT_GRAD, OP_LEAKY_GRAD, OP_STOP, OP_SWAP_ROWS, READY, SEQ } from "./thin_conv_control.ts";

const { memory, control } = workerData as { memory: WebAssembly.Memory; control: SharedArrayBuffer };
const words = new Int32Array(control), floats = new Float32Array(control);

Atomics.store(words, READY, 1);
Atomics.notify(words, READY);
let seen = 0;
for (;;) {
  Atomics.wait(words, SEQ, seen);
  seen = Atomics.load(words, SEQ);
  const op = words[OP];
  if (op === OP_STOP) break;
  let failed = 0;
  try {
    const a = (i: number) => words[ARGS + i];
    const thin = () => thinConvKernelsFor(memory, words[CIN], words[COUT], words[FMA] === 1);
    if (op === OP_FORWARD) thin().forward(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10), a(11), a(12), floats[ARGS + 13]);
    else if (op === OP_INPUT_GRAD) thin().inputGrad(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10), a(11));
    else if (op === OP_FILTER_GRAD) thin().filterGrad(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10), a(11), a(12), a(13));
    else if (op === OP_SWAP_ROWS) simdKernelsFor(memory).swapRows(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10));
    else if (op === OP_LEAKY_GRAD) simdKernelsFor(memory).leakyGrad(a(0), a(1), a(2), a(3), floats[ARGS + 4]);
    else failed = 1;
  } catch {
    failed = 1;
  }
  words[FAILED] = failed;
  Atomics.store(words, DONE, seen);
  Atomics.notify(words, DONE);
}
