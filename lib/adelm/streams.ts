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
import { mixSeed, Random } from "../util/random.ts";

/** Which stage of the pipeline a stream belongs to; keeps streams of different stages apart. */
export const Phase = {
  Search: 1,
  Cluster: 2,
  Barrier: 3,
  CriticalAlpha: 4,
} as const;

/**
 * A 32-bit seed from the run seed and any number of whole-number identity parts, through the
 * project's one mixer (`mixSeed`, shared with training's streams): the part count, then each
 * part's low and high 32-bit words.
 */
export function streamSeed(seed: number, ...parts: number[]): number {
  const words = [parts.length];
  for (const part of parts) {
    if (!Number.isInteger(part)) throw new Error(`Cannot derive a random stream: expected whole-number identity parts, got ${part}`);
    words.push(part >>> 0, Math.floor(part / 2 ** 32) >>> 0);
  }
  return mixSeed(seed, ...words);
}

/** The generator of the stream identified by `seed` and `parts` (see {@link streamSeed}). */
export function streamRandom(seed: number, ...parts: number[]): Random {
  return new Random(streamSeed(seed, ...parts));
}
