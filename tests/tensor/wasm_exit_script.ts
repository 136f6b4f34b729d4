/**
 * Child script of `wasm_threads_test.ts`: starts the wasm backend (threads from
 * EBM_WASM_THREADS), runs a convolution and a thin layer split with the helper thread, prints
 * `threads=<n> sum=<value> thin-helper=… split=… thin-max=…` and returns without
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
import { convBiasLeakyRelu } from "../../lib/nets/fused_layer.ts";
import { startThinHelper, thinHelperStats } from "../../lib/tensor/wasm/thin_conv_helper.ts";

await initBackend("wasm");
const x = tf.ones([2, 8, 8, 4]) as tf.Tensor4D, w = tf.ones([3, 3, 4, 8]) as tf.Tensor4D;
const sum = tf.sum(tf.conv2d(x, w, 1, "same")).dataSync()[0];
// A thin first layer big enough to be split with the thin-convolution helper thread, which must
// not keep the process alive either: ones through 3×3×3 taps + bias 1 → 28 inside, less at borders.
const heapMemory = (tf.backend() as unknown as { wasm: { heapMemory?: WebAssembly.Memory } }).wasm.heapMemory;
const helper = heapMemory !== undefined && await startThinHelper(heapMemory);
const thin = convBiasLeakyRelu(tf.ones([4, 32, 32, 3]), tf.ones([3, 3, 3, 32]), tf.ones([32]), 1, 1, 0.05);
const thinMax = tf.max(thin).dataSync()[0];
console.log(`threads=${backendInfo().threads} sum=${sum} thin-helper=${helper} split=${thinHelperStats().splitCalls} thin-max=${thinMax}`);
