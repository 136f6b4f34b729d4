/**
 * `tf.stack([a, b], axis)` through the project's `EbmInterleave2` kernel where a backend has one
 * (wasm: two `memory.copy` per row, see `lib/tensor/wasm/simd_kernels.ts`; tfjs-wasm's Pack is
 * an expandDims + concat that costs several times more), else through `tf.stack`.
 * For use inside kernel functions (the input-gradient interleave): the kernel has no gradient.
 *
 * @example
 * ```ts
 * const ab = stackPair(a, b, 3); // [n, u, v, c] × 2 → [n, u, v, 2, c]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Kernel name: inputs `a`, `b` (same shape and dtype float32), attr `axis` (0…rank);
 * output: a and b stacked on a new axis at `axis`.
 */
export const INTERLEAVE2 = "EbmInterleave2";

/**
 * a and b stacked on a new axis `axis` (0 ≤ axis ≤ rank).
 *
 * @example
 * ```ts
 * stackPair(tf.tensor([1, 2]), tf.tensor([3, 4]), 1); // [[1, 3], [2, 4]]
 * ```
 */
export function stackPair(a: tf.Tensor, b: tf.Tensor, axis: number): tf.Tensor {
  if (tf.getKernel(INTERLEAVE2, tf.getBackend()) === undefined || a.dtype !== "float32") return tf.stack([a, b], axis);
  return tf.engine().runKernel(INTERLEAVE2, { a, b }, { axis }) as tf.Tensor;
}
