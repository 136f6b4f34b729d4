/**
 * How the wasm backend started, kept apart from `register.ts` so that reading it (e.g. in
 * `backendInfo`) never loads tfjs-backend-wasm.
 *
 * @example
 * ```ts
 * import { wasmStartInfo } from "./start_info.ts";
 * wasmStartInfo(); // { requested: 2, threads: 2, fallback: null }, or null before the start
 * ```
 * @module
 */

/** How the current wasm backend started. */
export interface WasmStartInfo {
  /** Threads asked for (EBM_WASM_THREADS or the core count). */
  requested: number;
  /** Threads XNNPACK actually runs on. */
  threads: number;
  /** Why it runs on one thread although more were requested, else null. */
  fallback: string | null;
}

let current: WasmStartInfo | null = null;

/**
 * Records how the wasm backend started (null: not started, or restarting).
 *
 * @example
 * ```ts
 * recordWasmStart({ requested: 2, threads: 2, fallback: null });
 * ```
 */
export function recordWasmStart(info: WasmStartInfo | null): void {
  current = info;
}

/**
 * How the wasm backend started, or null before `tf.setBackend("wasm")` created it.
 *
 * @example
 * ```ts
 * const info = wasmStartInfo(); // { requested: 2, threads: 1, fallback: "Cannot start threaded wasm …" }
 * ```
 */
export function wasmStartInfo(): WasmStartInfo | null {
  return current;
}
