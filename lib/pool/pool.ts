/**
 * The shared worker pool: piscina running TypeScript worker modules.
 * Placeholder contract; implemented with the runner (issue 2).
 * @module
 */

/** A pool of worker threads. `file` is a worker module URL whose exports are the callable names. */
export interface WorkerPool {
  /** Number of threads. */
  readonly size: number;
  /** Runs export `name` of worker module `file` with `arg` (structured-cloned) on a free thread. */
  run<T>(file: URL, name: string, arg: unknown, transfer?: Transferable[]): Promise<T>;
  /** Terminates all threads. */
  close(): Promise<void>;
}
