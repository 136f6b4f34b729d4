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
  let raw: string | undefined;
  try {
    raw = Deno.env.get(WASM_THREADS_ENV);
  } catch {
    raw = undefined; // no env permission: use the default
  }
  if (raw !== undefined && raw.trim() !== "") {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`Cannot read env ${WASM_THREADS_ENV}: expected a positive integer, got '${raw}'`);
    return n;
  }
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
  let raw: string | undefined;
  try {
    raw = Deno.env.get(WASM_THREADS_ENV);
  } catch {
    raw = undefined;
  }
  const source = raw !== undefined && raw.trim() !== "" ? `${WASM_THREADS_ENV}=${raw.trim()}` : isMainThread ? "all cores" : "in a worker thread";
  return `${n} thread${n === 1 ? "" : "s"} (${source})`;
}
