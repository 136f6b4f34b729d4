/**
 * Layout of the control block (a SharedArrayBuffer of 32-bit words) shared by the main thread
 * and the helper thread of the project's wasm kernels. The main thread writes OP, CIN, COUT, FMA and ARGS,
 * then increments SEQ and notifies; the helper runs the call and stores SEQ's value into DONE
 * (FAILED = 1 if it threw). READY is set once the helper is waiting.
 *
 * @example
 * ```ts
 * const words = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
 * Atomics.add(words, SEQ, 1); Atomics.notify(words, SEQ);
 * ```
 * @module
 */

/** Word indices. */
export const SEQ = 0, DONE = 1, READY = 2, FAILED = 3, OP = 4, CIN = 5, COUT = 6, FMA = 7, ARGS = 8;
/** Operations: thin-convolution kernels (`thin_conv_module.ts`) and heap passes (`simd_kernels.ts`). */
export const OP_STOP = 0, OP_FORWARD = 1, OP_INPUT_GRAD = 2, OP_FILTER_GRAD = 3, OP_SWAP_ROWS = 4, OP_LEAKY_GRAD = 5;
/** Size of the block: ARGS plus 14 arguments (the forward's alpha is stored as a float32). */
export const CONTROL_BYTES = (ARGS + 14) * 4;
