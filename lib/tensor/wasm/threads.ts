/**
 * How many threads the wasm backend runs XNNPACK on: `EBM_WASM_THREADS` (a positive integer),
 * else every available core on a process's main thread and one thread inside worker threads
 * (pool workers are already one per core; more would only oversubscribe). Cheap: reads only the
 * environment, so backend descriptions can name the count before wasm is loaded.
 *
 * @example
 * ```ts
 * import { resolveWasmThreads } from "./threads.ts";
 * const n = resolveWasmThreads(); // 2 on a 2-core machine without EBM_WASM_THREADS
 * ```
 * @module
 */
import { isMainThread } from "node:worker_threads";
import { readEnv, readEnvInteger } from "../../util/env.ts";

/** The env var that sets the wasm backend's thread count. */
export const WASM_THREADS_ENV = "EBM_WASM_THREADS";

/**
 * `EBM_WASM_THREADS` if set, else `navigator.hardwareConcurrency` (at least 1) on the main
 * thread and 1 in a worker. Throws naming the variable and value when it is not a positive integer.
 *
 * @example
 * ```ts
 * Deno.env.set("EBM_WASM_THREADS", "1");
 * resolveWasmThreads(); // 1
 * ```
 */
export function resolveWasmThreads(): number {
  const n = readEnvInteger(WASM_THREADS_ENV, 1);
  if (n !== undefined) return n;
  return isMainThread ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;
}

/**
 * Where {@link resolveWasmThreads}' count comes from, for backend descriptions.
 *
 * @example
 * ```ts
 * describeWasmThreads(); // "2 threads (all cores)" or "1 thread (EBM_WASM_THREADS=1)"
 * ```
 */
export function describeWasmThreads(): string {
  const n = resolveWasmThreads();
  const raw = readEnv(WASM_THREADS_ENV);
  const source = raw !== undefined ? `${WASM_THREADS_ENV}=${raw}` : isMainThread ? "all cores" : "in a worker thread";
  return `${n} thread${n === 1 ? "" : "s"} (${source})`;
}
