/**
 * Sets the number of threads oneDNN uses. Debian's libdnnl 2.x is built on OpenMP (libgomp), so
 * the count is the calling thread's OpenMP `nthreads-var`, set with `omp_set_num_threads` on the
 * thread that runs the primitives (Deno's main thread, where FFI calls execute).
 *
 * @example
 * ```ts
 * import { resolveThreadCount, setOmpThreads } from "./threads.ts";
 * setOmpThreads(resolveThreadCount());
 * ```
 * @module
 */
import { isMainThread } from "node:worker_threads";
import { readEnvInteger } from "../../util/env.ts";

/** The env var that overrides the thread count. */
export const THREADS_ENV = "EBM_NATIVE_THREADS";

/**
 * `EBM_NATIVE_THREADS` if set (a positive integer); else every available core on a process's main
 * thread and one thread inside worker threads: pool workers already run one per core, and each
 * with all cores' OpenMP threads would oversubscribe the machine (the wasm backend's rule too).
 */
export function resolveThreadCount(mainThread: boolean = isMainThread): number {
  return readEnvInteger(THREADS_ENV, 1) ?? (mainThread ? Math.max(1, navigator.hardwareConcurrency || 1) : 1);
}

const GOMP_NAMES = ["libgomp.so.1"] as const;

/** OpenMP thread control of the process's libgomp (the instance libdnnl already loaded). */
export type OmpControl = { set(n: number): void; maxThreads(): number };

let omp: OmpControl | null = null;

/** Opens libgomp once and returns its thread control. */
export function openOmp(): OmpControl {
  if (omp) return omp;
  let lastError: unknown;
  for (const name of GOMP_NAMES) {
    try {
      const gomp = Deno.dlopen(name, {
        omp_set_num_threads: { parameters: ["i32"], result: "void" },
        omp_get_max_threads: { parameters: [], result: "i32" },
      } as const);
      omp = { set: (n) => gomp.symbols.omp_set_num_threads(n), maxThreads: () => gomp.symbols.omp_get_max_threads() };
      return omp;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`Cannot control oneDNN threads: libgomp not found (${(lastError as Error)?.message})`);
}

/**
 * Calls `omp_set_num_threads(n)` and returns `omp_get_max_threads()` afterwards, which is what
 * oneDNN will use for primitives run from this (the main) thread.
 */
export function setOmpThreads(n: number): number {
  const control = openOmp();
  control.set(n);
  return control.maxThreads();
}
