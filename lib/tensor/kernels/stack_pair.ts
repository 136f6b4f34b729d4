/**
 * `tf.stack([a, b], axis)` through the project's `EbmInterleave2` kernel where a backend has one
 * (wasm: two `memory.copy` per row, see `lib/tensor/wasm/simd_kernels.ts`; tfjs-wasm's Pack is
 * an expandDims + concat that costs several times more), else through `tf.stack`.
 * For use inside kernel functions (the input-gradient interleave): the kernel has no gradient.
 *
 * @example
 * ```ts ignore
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
 * ```ts ignore
 * stackPair(tf.tensor([1, 2]), tf.tensor([3, 4]), 1); // [[1, 3], [2, 4]]
 * ```
 */
export function stackPair(a: tf.Tensor, b: tf.Tensor, axis: number): tf.Tensor {
  if (tf.getKernel(INTERLEAVE2, tf.getBackend()) === undefined || a.dtype !== "float32") return tf.stack([a, b], axis);
  return tf.engine().runKernel(INTERLEAVE2, { a, b }, { axis }) as tf.Tensor;
}

/**
 * Kernel name: inputs `p00`, `p01`, `p10`, `p11` (float32, one shape [n, u, v, c]); output
 * [n, 2u, 2v, c] with `out[n, 2t + a, 2s + b] = p_ab[n, t, s]`: the four phases of a stride-2
 * input gradient interleaved in one pass (two stacked pair interleaves wrote and re-read a
 * full-size intermediate).
 */
export const INTERLEAVE_PHASES_2X2 = "EbmInterleavePhases2x2";

/**
 * The four stride-2 phases interleaved into one image, through {@link INTERLEAVE_PHASES_2X2}
 * where the backend has it, else through two pair interleaves.
 *
 * @example
 * ```ts ignore
 * const dx = interleavePhases2x2(p00, p01, p10, p11); // [n, u, v, c] × 4 → [n, 2u, 2v, c]
 * ```
 */
export function interleavePhases2x2(p00: tf.Tensor4D, p01: tf.Tensor4D, p10: tf.Tensor4D, p11: tf.Tensor4D): tf.Tensor4D {
  const [n, u, v, c] = p00.shape;
  if (tf.getKernel(INTERLEAVE_PHASES_2X2, tf.getBackend()) !== undefined && p00.dtype === "float32") {
    return tf.engine().runKernel(INTERLEAVE_PHASES_2X2, { p00, p01, p10, p11 }) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const top = tf.reshape(stackPair(p00, p01, 3), [n, u, 2 * v, c]), bottom = tf.reshape(stackPair(p10, p11, 3), [n, u, 2 * v, c]);
    return tf.reshape(stackPair(top, bottom, 2), [n, 2 * u, 2 * v, c]) as tf.Tensor4D;
  });
}
