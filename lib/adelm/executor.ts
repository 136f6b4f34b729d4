/**
 * Executors run independent search chains and attraction-diffusion trials. `localExecutor` runs
 * them in this thread, `maxBatch` at a time through one energy call (1 = one by one, the
 * reference; large = "batch" mode for batch-friendly backends). `poolExecutor` fans them out over
 * the worker pool: a call's jobs go onto a shared-memory job board and each worker pulls the next
 * job as soon as it has a free slot, so trials of unequal length balance themselves; each worker
 * builds the energy once. Every job carries its own stream seed, so all executors return
 * identical results.
 *
 * @example
 * ```ts ignore
 * import { localExecutor, poolExecutor } from "./executor.ts";
 * const serial = localExecutor(energy, { maxBatch: 1 });
 * const parallel = poolExecutor(pool, { kind: "analytic", wells });
 * const results = await parallel.attract([{ start, target, seed: 17 }], params);
 * ```
 * @module
 */
import { Random } from "../util/random.ts";
import type { WorkerPool } from "../pool/pool.ts";
import type { Energy } from "./energy.ts";
import type { EnergySource } from "./energy_source.ts";
import { type ClaimedResults, type ResultWalker, runClaimedJobs, type StopCheck } from "./lockstep.ts";
import { type AttractionParams, type AttractionResult, AttractionWalker } from "./attraction.ts";
import { type SearchParams, type SearchResult, SearchWalker } from "./search.ts";
import { type BoardJob, createJobBoard, openJobBoard } from "./job_board.ts";
import { shareEnergySource } from "./shared_source.ts";
import type { WorkerCall } from "./worker_protocol.ts";

/** One AD trial: start state, target state and its stream seed. */
export interface TrialJob {
  start: Float32Array;
  target: Float32Array;
  seed: number;
}

/** One search chain: initial state and its stream seed. */
export interface ChainJob {
  init: Float32Array;
  seed: number;
}

/**
 * Called with the number of finished jobs of a call as they finish (the pool executor reports
 * every {@link PROGRESS_INTERVAL_MS} at most, and once at the end).
 */
export type JobProgress = (done: number, total: number) => void;

/** Runs jobs; results come back in job order. */
export interface Executor {
  /** "local-1", "local-batch-64", "pool-2", … (for logs and metrics). */
  readonly name: string;
  attract(jobs: TrialJob[], params: AttractionParams, onProgress?: JobProgress): Promise<AttractionResult[]>;
  search(jobs: ChainJob[], params: SearchParams, onProgress?: JobProgress): Promise<SearchResult[]>;
}

/** How often the pool executor polls its workers' finished-job count for progress. */
export const PROGRESS_INTERVAL_MS = 250;

/** Runs walkers 0 … count−1 in this thread; results in index order. */
async function runAll<R>(energy: Energy, count: number, make: (index: number) => ResultWalker<R>, maxBatch: number, signal?: StopCheck, onProgress?: JobProgress): Promise<R[]> {
  let next = 0, finished = 0;
  const onFinished = onProgress && (() => onProgress(++finished, count));
  return (await runClaimedJobs(energy, () => (next < count ? next++ : -1), make, { maxBatch, signal, onFinished })).results;
}

/** Runs AD trials in this thread. */
export function runTrials(energy: Energy, jobs: TrialJob[], params: AttractionParams, maxBatch: number, signal?: StopCheck, onProgress?: JobProgress): Promise<AttractionResult[]> {
  return runAll(energy, jobs.length, (i) => new AttractionWalker(jobs[i].start, jobs[i].target, params, new Random(jobs[i].seed)), maxBatch, signal, onProgress);
}

/** Runs search chains in this thread. */
export function runChains(energy: Energy, jobs: ChainJob[], params: SearchParams, maxBatch: number, signal?: StopCheck, onProgress?: JobProgress): Promise<SearchResult[]> {
  return runAll(energy, jobs.length, (i) => new SearchWalker(jobs[i].init, params, new Random(jobs[i].seed)), maxBatch, signal, onProgress);
}

/** Options of {@link localExecutor}. */
export interface LocalExecutorOptions {
  /** States per energy call: 1 = one trial at a time; larger = batch mode. Default 1. */
  maxBatch?: number;
  signal?: AbortSignal;
}

/** Runs jobs in the calling thread. */
export function localExecutor(energy: Energy, options: LocalExecutorOptions = {}): Executor {
  const maxBatch = options.maxBatch ?? 1;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`Cannot create the executor: 'max_batch' must be a positive whole number, got ${maxBatch}`);
  return {
    name: maxBatch === 1 ? "local-1" : `local-batch-${maxBatch}`,
    attract: (jobs, params, onProgress) => runTrials(energy, jobs, params, maxBatch, options.signal, onProgress),
    search: (jobs, params, onProgress) => runChains(energy, jobs, params, maxBatch, options.signal, onProgress),
  };
}

/** Options of {@link poolExecutor}. */
export interface PoolExecutorOptions {
  /**
   * Jobs each worker keeps in flight as one lockstep batch, refilled from the board as they
   * finish (default 1). Networks are far cheaper per state in batches: for them use e.g. 16.
   */
  maxBatch?: number;
  signal?: AbortSignal;
}

const WORKER = new URL("./worker.ts", import.meta.url);

/** Fans jobs out over `pool`; workers rebuild the energy from `source` once and cache it. */
export function poolExecutor(pool: WorkerPool, source: EnergySource, options: PoolExecutorOptions = {}): Executor {
  const maxBatch = options.maxBatch ?? 1;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`Cannot create the executor: 'max_batch' must be a positive whole number, got ${maxBatch}`);
  // shared once per executor: workers get a reference, never a copy of the (large) source
  const shared = shareEnergySource(source);
  async function fan<R>(name: WorkerCall["name"], jobs: BoardJob[], params: unknown, onProgress?: JobProgress): Promise<R[]> {
    options.signal?.throwIfAborted();
    if (jobs.length === 0) return [];
    const board = createJobBoard(jobs), control = openJobBoard(board);
    const stop = () => control.cancel();
    options.signal?.addEventListener("abort", stop, { once: true });
    let reported = 0;
    const report = () => {
      const done = control.finished;
      if (done !== reported) onProgress?.((reported = done), jobs.length);
    };
    const ticker = onProgress ? setInterval(report, PROGRESS_INTERVAL_MS) : undefined;
    let firstError: unknown = null;
    try {
      // one long-lived task per worker: each drains the board; a worker that starts late finds it empty
      const call: WorkerCall = { name, source: shared, board, params, maxBatch };
      const runs = Array.from({ length: Math.min(pool.size, jobs.length) }, () =>
        pool.run<ClaimedResults<R>>(WORKER, name, call).catch((e) => {
          // the first failure is the cause; stop the other workers instead of letting them drain the board
          firstError ??= e;
          control.cancel();
          throw e;
        }));
      const settled = await Promise.allSettled(runs);
      options.signal?.throwIfAborted();
      if (firstError !== null) throw firstError;
      const results = new Array<R>(jobs.length);
      let filled = 0;
      for (const s of settled) {
        if (s.status !== "fulfilled") continue;
        s.value.indices.forEach((index, k) => {
          results[index] = s.value.results[k];
          filled++;
        });
      }
      if (filled !== jobs.length) throw new Error(`Cannot collect the '${name}' results: workers returned ${filled} of ${jobs.length}`);
      report();
      return results;
    } finally {
      clearInterval(ticker);
      options.signal?.removeEventListener("abort", stop);
    }
  }
  return {
    name: `pool-${pool.size}`,
    attract: (jobs, params, onProgress) => fan<AttractionResult>("attract", jobs.map((j) => ({ vectors: [j.start, j.target], seed: j.seed })), params, onProgress),
    search: (jobs, params, onProgress) => fan<SearchResult>("search", jobs.map((j) => ({ vectors: [j.init], seed: j.seed })), params, onProgress),
  };
}
