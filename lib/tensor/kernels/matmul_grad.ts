/**
 * BatchMatMul gradient that reaches XNNPACK on wasm: tfjs-wasm runs a 2-D matMul through
 * XNNPACK only without transpose flags, and the stock gradient uses flags (the fc.0 weight
 * gradient `xᵀ·dy` took 226 ms of a 1.5 s NonlocalNet weight step). For rank-2 operands on wasm
 * the transposes are materialised first (cheap next to the product); elsewhere flags are kept.
 * For C = op(A)·op(B): dA = dy·op(B)ᵀ (or its transpose when A was transposed), dB likewise.
 *
 * @example
 * ```ts
 * await import("@tensorflow/tfjs"); // stock gradients first
 * registerMatMulGradient();        // then this one replaces BatchMatMul's
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** `op(p)·op(q)`; on wasm, rank-2 transposes are done explicitly so XNNPACK runs the product. */
function product(p: tf.Tensor, q: tf.Tensor, transposeP: boolean, transposeQ: boolean): tf.Tensor {
  if (p.rank === 2 && q.rank === 2 && (transposeP || transposeQ) && tf.getBackend() === "wasm") {
    return tf.matMul(transposeP ? tf.transpose(p) : p, transposeQ ? tf.transpose(q) : q);
  }
  return tf.matMul(p, q, transposeP, transposeQ);
}

/** Sums a gradient over the batch axes its input was broadcast along (tfjs's stock gradient fails there). */
function unbroadcast(grad: tf.Tensor, like: tf.Tensor): tf.Tensor {
  if (grad.rank !== like.rank || grad.shape.every((d, i) => d === like.shape[i])) return grad;
  const axes = like.shape.slice(0, -2).flatMap((d, i) => (d === 1 && grad.shape[i] !== 1 ? [i] : []));
  return axes.length === 0 ? grad : tf.sum(grad, axes, true);
}

let registered = false;

/**
 * Replaces the BatchMatMul gradient (global registry, idempotent). Call after the stock
 * gradients are loaded, or they would overwrite it.
 *
 * @example
 * ```ts
 * registerMatMulGradient();
 * ```
 */
export function registerMatMulGradient(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: "BatchMatMul",
    inputsToSave: ["a", "b"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
      const g = dy as tf.Tensor;
      const [a, b] = saved;
      const tA = Boolean(attrs?.transposeA), tB = Boolean(attrs?.transposeB);
      return {
        a: () => unbroadcast(tA ? product(b, g, tB, true) : product(g, b, false, !tB), a),
        b: () => unbroadcast(tB ? product(g, a, true, tA) : product(a, g, !tA, false), b),
      };
    },
  });
  registered = true;
}
