/**
 * Worker-pool entry points of `lib/plot` (run through `WorkerPool.run`), so figure tasks keep
 * numeric work off the main thread.
 *
 * @example
 * ```ts
 * import { createPool } from "../pool/pool.ts";
 * const pool = createPool({ threads: 1 });
 * const result = await pool.run(new URL("./correlation_worker.ts", import.meta.url), "correlations",
 *   { d: new Float64Array([1, -1, 1]), r: new Float64Array([2, 3, 2]) });
 * await pool.close();
 * ```
 * @module
 */
import { type CorrelationOptions, type DiagnosticCorrelations, diagnosticCorrelations } from "./correlation.ts";

/** Argument of {@link correlations}. */
export interface CorrelationJob extends CorrelationOptions {
  d: Float64Array;
  r: Float64Array;
}

/** Pool job: {@link diagnosticCorrelations} of the job's series. */
export function correlations(job: CorrelationJob): DiagnosticCorrelations {
  return diagnosticCorrelations(job.d, job.r, job);
}
