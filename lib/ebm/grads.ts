/**
 * Gradients of a scalar loss with respect to a network's parameters, keyed by state_dict key.
 *
 * @example
 * ```ts ignore
 * const { loss, grads } = paramGrads(net, () => tf.sub(net.energy(xPos).mean(), net.energy(xNeg).mean()));
 * opt.step(grads);
 * tf.dispose(Object.values(grads));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EnergyNet } from "../nets/net.ts";

/**
 * Evaluates `lossFn` (must return a scalar) and its gradient for every parameter.
 * The caller owns the returned tensors (dispose `grads` after the optimiser step).
 *
 * @example
 * ```ts ignore
 * const { loss, grads } = paramGrads(net, () => tf.mean(net.energy(x)) as tf.Scalar);
 * ```
 */
export function paramGrads(net: EnergyNet, lossFn: () => tf.Scalar): { loss: number; grads: Record<string, tf.Tensor> } {
  const vars = net.variables();
  const { value, grads } = tf.variableGrads(lossFn, vars);
  const out: Record<string, tf.Tensor> = {};
  for (const p of net.params) {
    const g = grads[p.variable.name];
    if (g !== undefined) out[p.key] = g;
  }
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads: out };
}

/**
 * The paper's ML loss `d = (mean f(x+) − mean f(x−))·scale` and its parameter gradients in one
 * forward/backward pass over the concatenated batch [x+; x−] (half the kernel calls of two
 * passes, same result). `scale` is 2/ε² when ε > 0, else 1. The caller disposes `grads`.
 *
 * @example
 * ```ts ignore
 * const { loss, grads } = mlLossGrads(net, xPos, xNeg, 2 / eps ** 2);
 * optimizer.step(grads);
 * tf.dispose(Object.values(grads));
 * ```
 */
export function mlLossGrads(net: EnergyNet, pos: tf.Tensor, neg: tf.Tensor, scale: number): { loss: number; grads: Record<string, tf.Tensor> } {
  const np = pos.shape[0], nn = neg.shape[0];
  if (np === 0 || nn === 0) throw new Error(`Cannot compute the ML loss: positive batch has ${np} and negative batch ${nn} states`);
  const weights = tf.tensor1d([...new Array(np).fill(scale / np), ...new Array(nn).fill(-scale / nn)]);
  const both = tf.concat([pos, neg], 0);
  try {
    return paramGrads(net, () => tf.sum(tf.mul(net.energy(both), weights)) as tf.Scalar);
  } finally {
    tf.dispose([weights, both]);
  }
}
