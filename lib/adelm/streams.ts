/**
 * Per-trial random streams. Every chain and attraction-diffusion trial draws its noise from its
 * own generator, seeded from the run seed and the trial's identity (phase, minimum, candidate,
 * direction, repetition) rather than from execution order, so the pool, batch and single-thread
 * executors produce bit-identical results.
 *
 * @example
 * ```ts
 * import { streamRandom, Phase } from "./streams.ts";
 * const rng = streamRandom(7, Phase.Cluster, 12, 3, 0, 1); // minimum 12, basin 3, forward, rep 1
 * rng.normal();
 * ```
 * @module
 */
import { Random } from "../util/random.ts";

/** Which stage of the pipeline a stream belongs to; keeps streams of different stages apart. */
export const Phase = {
  Search: 1,
  Cluster: 2,
  Barrier: 3,
  CriticalAlpha: 4,
} as const;

/** A 32-bit seed mixed from the run seed and any number of non-negative integer identity parts. */
export function streamSeed(seed: number, ...parts: number[]): number {
  // murmur3-style mixing of each part into the state; collisions only correlate two trials' noise.
  let h = (Math.floor(seed) ^ Math.floor(seed / 2 ** 32) ^ 0x5bd1e995) >>> 0;
  for (const part of [parts.length, ...parts]) {
    if (!Number.isInteger(part)) throw new Error(`Cannot derive a random stream: expected whole-number identity parts, got ${part}`);
    let k = (part >>> 0) ^ Math.floor(part / 2 ** 32);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The generator of the stream identified by `seed` and `parts` (see {@link streamSeed}). */
export function streamRandom(seed: number, ...parts: number[]): Random {
  return new Random(streamSeed(seed, ...parts));
}
