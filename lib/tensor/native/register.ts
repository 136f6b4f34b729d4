/**
 * Registers the `native` tfjs backend (oneDNN through Deno FFI). Placeholder until issue 4 lands:
 * it reports the backend as unavailable so `auto` falls through to wasm.
 * @module
 */

/** Outcome of trying to register the native backend. */
export type NativeRegistration = { ok: true; library: string; threads: number } | { ok: false; reason: string };

/** Tries to load oneDNN and register the backend under the name "native". */
export function registerNativeBackend(): Promise<NativeRegistration> {
  return Promise.resolve({ ok: false, reason: "the native backend is not built yet" });
}
