/**
 * Executors run independent search chains and attraction-diffusion trials. `localExecutor` runs
 * them in this thread, `maxBatch` at a time through one energy call (1 = one by one, the
 * reference; large = "batch" mode for batch-friendly backends). `poolExecutor` fans them out over
 * the worker pool, one task per `jobsPerTask` trials; each worker builds the energy once. Every
 * job carries its own stream seed, so all executors return identical results.
 *
 * @example
 * ```ts
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
import { runLockstep } from "./lockstep.ts";
import { type AttractionParams, type AttractionResult, AttractionWalker } from "./attraction.ts";
import { type SearchParams, type SearchResult, SearchWalker } from "./search.ts";

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

/** Runs jobs; results come back in job order. */
export interface Executor {
  /** "local-1", "local-batch-64", "pool-2", … (for logs and metrics). */
  readonly name: string;
  attract(jobs: TrialJob[], params: AttractionParams): Promise<AttractionResult[]>;
  search(jobs: ChainJob[], params: SearchParams): Promise<SearchResult[]>;
}

/** Runs AD trials in this thread (used by workers too). */
export async function runTrials(energy: Energy, jobs: TrialJob[], params: AttractionParams, maxBatch: number, signal?: AbortSignal): Promise<AttractionResult[]> {
  const walkers = jobs.map((j) => new AttractionWalker(j.start, j.target, params, new Random(j.seed)));
  await runLockstep(energy, walkers, { maxBatch, signal });
  return walkers.map((w) => w.result());
}

/** Runs search chains in this thread (used by workers too). */
export async function runChains(energy: Energy, jobs: ChainJob[], params: SearchParams, maxBatch: number, signal?: AbortSignal): Promise<SearchResult[]> {
  const walkers = jobs.map((j) => new SearchWalker(j.init, params, new Random(j.seed)));
  await runLockstep(energy, walkers, { maxBatch, signal });
  return walkers.map((w) => w.result());
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
    attract: (jobs, params) => runTrials(energy, jobs, params, maxBatch, options.signal),
    search: (jobs, params) => runChains(energy, jobs, params, maxBatch, options.signal),
  };
}

/** Options of {@link poolExecutor}. */
export interface PoolExecutorOptions {
  /** Jobs per pool task (default 1: best load balance; trials vary widely in length). */
  jobsPerTask?: number;
  /**
   * A worker runs its task's jobs as lockstep batches of this size (default 1). Networks are far
   * cheaper per state in batches, so for them set jobsPerTask = maxBatch = e.g. 16.
   */
  maxBatch?: number;
  signal?: AbortSignal;
}

const WORKER = new URL("./worker.ts", import.meta.url);

/** Fans jobs out over `pool`; workers rebuild the energy from `source` once and cache it. */
export function poolExecutor(pool: WorkerPool, source: EnergySource, options: PoolExecutorOptions = {}): Executor {
  const per = options.jobsPerTask ?? 1, maxBatch = options.maxBatch ?? 1;
  // serialised once: cloning a large analytic source with every task cost milliseconds per task
  const sourceJson = JSON.stringify(source);
  if (!Number.isInteger(per) || per < 1) throw new Error(`Cannot create the executor: 'jobs_per_task' must be a positive whole number, got ${per}`);
  async function fan<J, R>(name: string, jobs: J[], params: unknown): Promise<R[]> {
    const tasks: Promise<R[]>[] = [];
    // a small round (one minimum's candidates) is still spread over every worker
    const size = Math.max(1, Math.min(per, Math.ceil(jobs.length / pool.size)));
    for (let i = 0; i < jobs.length; i += size) {
      options.signal?.throwIfAborted();
      tasks.push(pool.run<R[]>(WORKER, name, { sourceJson, jobs: jobs.slice(i, i + size), params, maxBatch }));
    }
    return (await Promise.all(tasks)).flat();
  }
  return {
    name: `pool-${pool.size}`,
    attract: (jobs, params) => fan<TrialJob, AttractionResult>("attract", jobs, params),
    search: (jobs, params) => fan<ChainJob, SearchResult>("search", jobs, params),
  };
}
