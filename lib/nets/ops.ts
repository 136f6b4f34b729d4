/**
 * Small building blocks shared by the networks.
 *
 * @example
 * ```ts ignore
 * const h = leakyRelu(conv(x, w, b, 2, 1)); // conv 4×4 stride 2 pad 1, then LeakyReLU(0.05)
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { convBiasLeakyRelu } from "./fused_layer.ts";
import { denseBiasLeakyRelu } from "./fused_dense.ts";

/** The paper's LeakyReLU slope. */
export const LEAK = 0.05;

const slopes = new Map<number, { alpha: tf.Scalar; op: (x: tf.Tensor) => tf.Tensor }>();

/**
 * LeakyReLU through `prelu` with a constant slope (6× faster than `leakyRelu` on wasm), with a
 * one-pass gradient `dy · step(x, slope)` instead of tfjs's mask + select + multiply. The slope
 * scalar is created once and kept, so it does not count as a per-step allocation.
 *
 * @example
 * ```ts ignore
 * const h = leakyRelu(tf.tensor([-1, 2])); // [-0.05, 2]
 * ```
 */
export function leakyRelu<T extends tf.Tensor>(x: T, slope = LEAK): T {
  let entry = slopes.get(slope);
  if (entry === undefined || entry.alpha.isDisposed) {
    const alpha = tf.keep(tf.scalar(slope));
    // customGrad's typing takes a rest list mixing tensors and the save function.
    const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
      save([input]);
      return {
        value: tf.prelu(input, alpha as unknown as tf.Tensor),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.step(saved[0], slope)),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
    entry = { alpha, op };
    slopes.set(slope, entry);
  }
  return entry.op(x) as T;
}

/**
 * True while tfjs records a gradient tape. Fused conv/matmul compute every input's gradient
 * eagerly in backprop (a Langevin step would pay for filter gradients it never uses), so they are
 * only used when nothing is being recorded.
 */
function recordingGradients(): boolean {
  return (tf.engine().state as unknown as { activeTape?: unknown[] | null }).activeTape != null;
}

/**
 * NHWC conv2d with bias; `pad` is a symmetric zero padding in pixels.
 *
 * @example
 * ```ts ignore
 * const y = conv(x, w, b, 2, 1); // 4×4 stride 2 pad 1
 * ```
 */
export function conv(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, stride: number, pad: number): tf.Tensor4D {
  const padding = pad === 0 ? "valid" : [[0, 0], [pad, pad], [pad, pad], [0, 0]] as tf.backend_util.ExplicitPadding;
  if (recordingGradients()) return tf.add(tf.conv2d(x, w, stride, padding), b);
  return tf.fused.conv2d({ x, filter: w, bias: b, strides: stride, pad: padding });
}

/**
 * A conv layer followed by LeakyReLU, `leakyRelu(conv(x, w, b, stride, pad), slope)`, as one
 * fused kernel with a lazily evaluated per-input gradient (see `fused_layer.ts`): one oneDNN
 * convolution with a post-op on the native backend, the backend's FusedConv2D elsewhere.
 *
 * @example
 * ```ts ignore
 * const h = convLeakyRelu(x, w, b, 2, 1); // 4×4 stride 2 pad 1, then LeakyReLU(0.05)
 * ```
 */
export function convLeakyRelu(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, stride: number, pad: number, slope = LEAK): tf.Tensor4D {
  return convBiasLeakyRelu(x, w, b, stride, pad, slope);
}

/**
 * Dense layer x·W + b with W in [in, out].
 *
 * @example
 * ```ts ignore
 * const y = dense(x, w, b); // [N, in] → [N, out]
 * ```
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (recordingGradients()) return tf.add(tf.matMul(x, w), b);
  return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
}

/**
 * A dense layer followed by LeakyReLU, `leakyRelu(dense(x, w, b), slope)`. While gradients are
 * recorded it is one fused kernel with a lazily evaluated per-input gradient (see
 * `fused_dense.ts`: the unfused ops themselves on cpu and wasm, one oneDNN matmul with a bias
 * and activation post-op on native); otherwise exactly `leakyRelu(dense(x, w, b))`.
 *
 * @example
 * ```ts ignore
 * const h = denseLeakyRelu(x, w, b); // [N, in] → [N, out], then LeakyReLU(0.05)
 * ```
 */
export function denseLeakyRelu(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, slope = LEAK): tf.Tensor2D {
  if (recordingGradients()) return denseBiasLeakyRelu(x, w, b, slope);
  return leakyRelu(dense(x, w, b), slope);
}

/**
 * MaxPool2d(2) as PyTorch: 2×2 windows, stride 2, no padding (odd edges dropped).
 *
 * @example
 * ```ts ignore
 * const y = maxPool2(tf.zeros([1, 32, 32, 8])); // [1, 16, 16, 8]
 * ```
 */
export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, "valid");
}

/**
 * log σ(x) = −softplus(−x), stable for any x. Not `tf.logSigmoid`: its gradient closes over the
 * input tensor instead of saving it, so inside `tf.variableGrads` it reads a disposed tensor
 * ("Cannot read properties of undefined (reading 'backend')").
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { logSigmoid } from "./ops.ts";
 * const y = logSigmoid(tf.tensor1d([0, 100, -100])); // [−0.693, 0, −100]
 * ```
 */
export function logSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.neg(tf.softplus(tf.neg(x)));
}

/**
 * The key of the first tensor, in the given order, that holds a NaN or ±∞, or null — for all of
 * them in one host read (x·0 sums to 0 unless x has a non-finite value). Training steps use it on
 * parameters (a diverged weight) and on gradients (a step not to take).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { firstNonFinite } from "./ops.ts";
 * const bad = firstNonFinite([["w", tf.tensor1d([1, 2])], ["b", tf.tensor1d([Infinity])]]); // "b"
 * ```
 */
export function firstNonFinite(entries: Iterable<readonly [string, tf.Tensor]>): string | null {
  const list = [...entries];
  if (list.length === 0) return null;
  const probes = tf.tidy(() => tf.stack(list.map(([, t]) => tf.sum(tf.mul(t, 0)))));
  const sums = probes.dataSync();
  probes.dispose();
  const i = sums.findIndex((v) => v !== 0);
  return i < 0 ? null : list[i][0];
}

/** {@link firstNonFinite} over named parameters: the `key` of the first non-finite one, or null. */
export function firstNonFiniteParam(params: Iterable<{ key: string; variable: tf.Tensor }>): string | null {
  return firstNonFinite([...params].map((p) => [p.key, p.variable] as const));
}
