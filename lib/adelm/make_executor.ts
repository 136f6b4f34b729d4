/**
 * Picks the executor a task config asks for (pool, batch or serial); all give identical results.
 *
 * @example
 * ```ts ignore
 * import { makeExecutor } from "./make_executor.ts";
 * const executor = await makeExecutor({ mode: "pool", max_batch: 64, jobs_per_task: 1 }, source, ctx.pool, ctx.signal);
 * ```
 * @module
 */
import type { z } from "zod";
import type { WorkerPool } from "../pool/pool.ts";
import type { executionSchema } from "./config.ts";
import { type EnergySource, loadEnergy } from "./energy_source.ts";
import { type Executor, localExecutor, poolExecutor } from "./executor.ts";

/**
 * Builds the executor for `execution` (loads the energy in this thread unless mode is pool). In
 * pool mode each worker keeps `min(jobs_per_task, max_batch)` jobs in flight as one lockstep batch.
 */
export async function makeExecutor(execution: z.output<typeof executionSchema>, source: EnergySource, pool: WorkerPool, signal?: AbortSignal): Promise<Executor> {
  if (execution.mode === "pool") return poolExecutor(pool, source, { maxBatch: Math.min(execution.jobs_per_task, execution.max_batch), signal });
  const energy = await loadEnergy(source);
  return localExecutor(energy, { maxBatch: execution.mode === "batch" ? execution.max_batch : 1, signal });
}
