/**
 * What the pool executor (`executor.ts`) sends the ADELM worker module (`worker.ts`): one call
 * names the job kind, the shared energy source, the job board and the walker parameters. Its own
 * module so that the executor and the worker both depend on it and not on each other.
 *
 * @example
 * ```ts ignore
 * const call: WorkerCall = { name: "attract", source: shareEnergySource(source), board, params, maxBatch: 16 };
 * ```
 * @module
 */
import type { JobBoard } from "./job_board.ts";
import type { SharedEnergySource } from "./shared_source.ts";

/** The argument of every export of `worker.ts`. */
export interface WorkerCall {
  name: "attract" | "search";
  source: SharedEnergySource;
  board: JobBoard;
  params: unknown;
  /** Jobs in flight per energy call. */
  maxBatch: number;
}
