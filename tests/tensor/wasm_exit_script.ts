/**
 * Child script of `wasm_threads_test.ts`: starts the wasm backend (threads from
 * EBM_WASM_THREADS), runs a convolution, prints `threads=<n> sum=<value>` and returns without
 * calling Deno.exit — the process must then exit by itself.
 *
 * @example
 * ```sh
 * EBM_WASM_THREADS=2 deno run -A tests/tensor/wasm_exit_script.ts   # threads=2 sum=…
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo, initBackend } from "../../lib/tensor/backend.ts";

await initBackend("wasm");
const x = tf.ones([2, 8, 8, 4]) as tf.Tensor4D, w = tf.ones([3, 3, 4, 8]) as tf.Tensor4D;
const sum = tf.sum(tf.conv2d(x, w, 1, "same")).dataSync()[0];
console.log(`threads=${backendInfo().threads} sum=${sum}`);
