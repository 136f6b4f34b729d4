/**
 * Host-side batch helpers of training and sampling: distinct random indices (torch.randperm(n)[:k]),
 * row gathers, data noise, and running the lib/ebm training Langevin sampler from host states.
 *
 * @example
 * ```ts ignore
 * import { distinctIndices, gatherRows, runChains } from "./chains.ts";
 * const idx = distinctIndices(rng, 100, images.length / 1024);
 * const { states, r_t } = runChains(net, gatherRows(images, 1024, idx), [100, 32, 32, 1], 150, 0.01, rng);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EnergyNet } from "../nets/net.ts";
import type { Random } from "../util/random.ts";
import { shortRunLangevin } from "../ebm/langevin.ts";

/** Draws `k` distinct indices of [0, n) (a prefix of a random permutation, like torch.randperm(n)[:k]). */
export function distinctIndices(rng: Random, k: number, n: number): Int32Array {
  if (k > n) throw new Error(`Cannot draw ${k} distinct indices from ${n}: batch_size exceeds the number of images`);
  // Partial Fisher–Yates over a sparse swap table: O(k) instead of O(n).
  const swapped = new Map<number, number>();
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j, vi = swapped.get(i) ?? i;
    out[i] = vj;
    swapped.set(j, vi);
  }
  return out;
}

/** Copies rows `indices` of an [N, D] array. */
export function gatherRows(source: Float32Array, rowSize: number, indices: Int32Array): Float32Array {
  const out = new Float32Array(indices.length * rowSize);
  for (let i = 0; i < indices.length; i++) out.set(source.subarray(indices[i] * rowSize, (indices[i] + 1) * rowSize), i * rowSize);
  return out;
}

/**
 * Runs the training Langevin sampler (lib/ebm) from host states; returns host states and r_t.
 * Noise comes from `rng`, one stream per iteration, so runs resume exactly.
 */
export function runChains(net: EnergyNet, init: Float32Array, shape: number[], steps: number, epsilon: number, rng: Random): { states: Float32Array; r_t: number } {
  const x0 = tf.tensor(init, shape);
  try {
    const { x, rT } = shortRunLangevin(net, x0, { steps, epsilon, rng, recordEvery: Math.max(1, steps) });
    const states = Float32Array.from(x.dataSync() as Float32Array);
    x.dispose();
    return { states, r_t: rT };
  } finally {
    x0.dispose();
  }
}

/** Adds `sd`·N(0, 1) noise in place. */
export function addNoise(x: Float32Array, sd: number, rng: Random): Float32Array {
  if (sd > 0) for (let i = 0; i < x.length; i++) x[i] += sd * rng.normal();
  return x;
}

