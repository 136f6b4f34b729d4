/**
 * Reproducible random streams for training. Every iteration draws from its own generator derived
 * from (seed, iteration, purpose), so the RNG "state" of a checkpoint is just the seed and the
 * iteration: a resumed run continues with exactly the numbers an uninterrupted run would draw,
 * without serialising generator internals.
 *
 * @example
 * ```ts
 * import { streamFor } from "./streams.ts";
 * const rng = streamFor(123, 17, "langevin");
 * const noise = rng.normalArray(4);
 * ```
 * @module
 */
import { mixSeed, Random } from "../util/random.ts";

/** Purposes with their own stream, so adding draws for one never shifts another. */
export type StreamPurpose = "batch" | "init" | "langevin" | "longrun" | "toy-data" | "kde" | "bank-init" | "sample";

const PURPOSE_CODE: Record<StreamPurpose, number> = { batch: 1, init: 2, langevin: 3, longrun: 4, "toy-data": 5, kde: 6, "bank-init": 7, sample: 8 };

/** The generator for `purpose` at `iteration` (0 = before training) of a run seeded with `seed`. */
export function streamFor(seed: number, iteration: number, purpose: StreamPurpose): Random {
  return new Random(mixSeed(seed, iteration >>> 0, Math.floor(iteration / 4294967296), PURPOSE_CODE[purpose]));
}
