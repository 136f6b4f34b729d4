/**
 * Adapter from a tfjs energy function `(x: Tensor) => Tensor1D` (one energy per state of a batch
 * shaped `[n, ...stateShape]`) to the ADELM {@link Energy} interface. Energies and the gradient of
 * their sum (= per-state gradients, since states do not interact) come from one forward/backward
 * pass. The caller must have registered gradients
 * (`import "@tensorflow/tfjs"`, or `lib/tensor/backend.ts`, which does so) and a backend.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { energyFromTfjs } from "./tfjs_energy.ts";
 * const energy = energyFromTfjs((x) => tf.sum(tf.square(x), [1, 2, 3]) as tf.Tensor1D, [28, 28, 1]);
 * const { energy: u, grad } = await energy.energyAndGrad(new Float32Array(784), 1);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Energy } from "./energy.ts";

/** Wraps `fn` (batch → per-state energies) as an {@link Energy} over states of `stateShape`. */
export function energyFromTfjs(fn: (x: tf.Tensor) => tf.Tensor1D, stateShape: number[]): Energy {
  const dim = stateShape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`Cannot wrap the tfjs energy: 'stateShape' [${stateShape}] has no elements`);
  return {
    dim,
    async energyAndGrad(x: Float32Array, n: number) {
      if (x.length !== n * dim) throw new Error(`Cannot evaluate the tfjs energy: expected ${n}×${dim} = ${n * dim} values, got ${x.length}`);
      let perState: tf.Tensor1D | null = null;
      const { value, grad } = tf.tidy(() => {
        const input = tf.tensor(x, [n, ...stateShape]);
        return tf.valueAndGrad((v: tf.Tensor) => {
          const e = fn(v);
          if (e.rank !== 1 || e.shape[0] !== n) throw new Error(`Cannot evaluate the tfjs energy: expected energies of shape [${n}], got [${e.shape}]`);
          perState = tf.keep(e);
          return tf.sum(e);
        })(input);
      });
      try {
        const [energy, gradient] = await Promise.all([(perState as unknown as tf.Tensor1D).data(), grad.data()]);
        return { energy: Float32Array.from(energy), grad: Float32Array.from(gradient) };
      } finally {
        value.dispose();
        grad.dispose();
        (perState as tf.Tensor1D | null)?.dispose();
      }
    },
  };
}
