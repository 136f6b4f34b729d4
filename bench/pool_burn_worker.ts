/**
 * Pool worker module for the raw-pool control of `bench/adelm_bench.ts`: a fixed amount of pure
 * floating-point work with no shared state, so 1 vs 2 threads shows what the pool and the
 * machine can scale to right now.
 *
 * @example
 * ```ts
 * import { createPool } from "../lib/pool/pool.ts";
 * const pool = createPool({ threads: 2 });
 * const sum = await pool.run<number>(new URL("./pool_burn_worker.ts", import.meta.url), "burn", 5_000_000);
 * await pool.close();
 * ```
 * @module
 */

/** Runs `iterations` dependent multiply-adds; returns the result so the loop cannot be dropped. */
export function burn(iterations: number): number {
  let x = 0.5;
  for (let i = 0; i < iterations; i++) x = (x * 1.000001 + 0.3) % 7.1;
  return x;
}
