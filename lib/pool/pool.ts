/**
 * The shared worker pool: piscina threads running TypeScript worker modules. A worker module
 * exports plain functions; `run(file, name, arg)` calls export `name` of module `file` on a free
 * thread. Workers load each module once and keep it, so a module can cache heavy state (e.g. a
 * checkpoint) at module level.
 *
 * @example
 * ```ts
 * import { createPool } from "./pool.ts";
 * const pool = createPool({ threads: 2 });
 * // worker.ts: export function square(x: number) { return x * x; }
 * const y = await pool.run<number>(new URL("./worker.ts", import.meta.url), "square", 3);
 * await pool.close();
 * ```
 * @module
 */
import { Piscina } from "piscina";
import { availableParallelism } from "node:os";

/** A pool of worker threads. `file` is a worker module URL whose exports are the callable names. */
export interface WorkerPool {
  /** Number of threads. */
  readonly size: number;
  /** Runs export `name` of worker module `file` with `arg` (structured-cloned) on a free thread. */
  run<T>(file: URL, name: string, arg: unknown, transfer?: Transferable[]): Promise<T>;
  /** Terminates all threads; pending runs reject. Safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** Thread count; defaults to the number of available cores. */
  threads?: number;
  /** Aborting closes the pool. */
  signal?: AbortSignal;
}

/** Creates a worker pool. Threads start lazily, on first use. */
export function createPool(options: PoolOptions = {}): WorkerPool {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`Cannot create the worker pool: expected a positive whole number of threads, got ${threads}`);
  }
  const entry = new URL("./worker_entry.ts", import.meta.url);
  const piscina = new Piscina({ filename: entry.href, minThreads: 0, maxThreads: threads, idleTimeout: 30_000 });
  let closed: Promise<void> | null = null;
  const pool: WorkerPool = {
    size: threads,
    run<T>(file: URL, name: string, arg: unknown, transfer?: Transferable[]): Promise<T> {
      if (closed) return Promise.reject(new Error(`Cannot run '${name}' from ${file.pathname}: the worker pool is closed`));
      return piscina.run({ file: file.href, name, arg }, { transferList: transfer as never }) as Promise<T>;
    },
    close(): Promise<void> {
      if (!closed) closed = piscina.destroy();
      return closed;
    },
  };
  options.signal?.addEventListener("abort", () => void pool.close(), { once: true });
  return pool;
}
