/**
 * Pool worker module for {@link import("./executor.ts").poolExecutor}: rebuilds the energy once
 * per thread (cached by the source's content key), then pulls jobs from the call's shared job
 * board until it is empty, `maxBatch` in flight as one lockstep batch, counts each finished job
 * on the board (the caller's progress), and returns the indices of the jobs it ran with their
 * results.
 *
 * @example
 * ```ts ignore
 * // main thread (what poolExecutor does):
 * const call: WorkerCall = { name: "attract", source: shareEnergySource(source), board, params, maxBatch: 1 };
 * const part = await pool.run<ClaimedResults<AttractionResult>>(new URL("./worker.ts", import.meta.url), "attract", call);
 * ```
 * @module
 */
import { Random } from "../util/random.ts";
import type { Energy } from "./energy.ts";
import { loadEnergy } from "./energy_source.ts";
import { type AttractionParams, type AttractionResult, AttractionWalker } from "./attraction.ts";
import { type SearchParams, type SearchResult, SearchWalker } from "./search.ts";
import { type ClaimedResults, runClaimedJobs } from "./lockstep.ts";
import type { WorkerCall } from "./worker_protocol.ts";
import { type OpenJobBoard, openJobBoard } from "./job_board.ts";
import { readSharedSource, type SharedEnergySource } from "./shared_source.ts";

let cached: { key: string; energy: Promise<Energy> } | null = null;

/** The energy of `source`, built once per thread (one at a time: a checkpoint is loaded once, not per call). */
function energyFor(source: SharedEnergySource): Promise<Energy> {
  if (cached?.key !== source.key) {
    const entry = { key: source.key, energy: Promise.resolve().then(() => loadEnergy(readSharedSource(source))) };
    // a failed load is not kept: the next call tries again and reports its own error
    entry.energy.catch(() => {
      if (cached === entry) cached = null;
    });
    cached = entry;
  }
  return cached.energy;
}

/** Lockstep options of a call: its batch size; the board stops the loop when cancelled and counts finished jobs. */
function options(call: WorkerCall, jobs: OpenJobBoard) {
  return { maxBatch: call.maxBatch, signal: jobs, onFinished: () => jobs.finish() };
}

/** Runs AD trials from the board on this thread. */
export async function attract(call: WorkerCall): Promise<ClaimedResults<AttractionResult>> {
  const energy = await energyFor(call.source), jobs = openJobBoard(call.board), params = call.params as AttractionParams;
  return runClaimedJobs(energy, () => jobs.claim(), (i) => new AttractionWalker(jobs.vector(i, 0), jobs.vector(i, 1), params, new Random(jobs.seed(i))), options(call, jobs));
}

/** Runs search chains from the board on this thread. */
export async function search(call: WorkerCall): Promise<ClaimedResults<SearchResult>> {
  const energy = await energyFor(call.source), jobs = openJobBoard(call.board), params = call.params as SearchParams;
  return runClaimedJobs(energy, () => jobs.claim(), (i) => new SearchWalker(jobs.vector(i, 0), params, new Random(jobs.seed(i))), options(call, jobs));
}
