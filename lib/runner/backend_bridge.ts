/**
 * The runner's only link to the tensor backends: `lib/tensor/backend.ts` (written by the tensor
 * area) is imported lazily, and only when a step's task has `usesTensors: true`, so pipelines
 * without tensor tasks never load tfjs and never depend on that module existing.
 *
 * @example
 * ```ts
 * import { resolveBackend } from "./backend_bridge.ts";
 * const { name, note } = await resolveBackend("auto"); // throws a clear error if the module is missing
 * ```
 * @module
 */

interface BackendModule {
  resolveBackendName(requested?: string): Promise<{ name: string; note: string }>;
  initBackend(name: string): Promise<void>;
}

/** The tensor backend module; its code closure is part of every tensor step's fingerprint. */
export const backendModuleUrl: URL = new URL("../tensor/backend.ts", import.meta.url);

async function loadBackendModule(): Promise<BackendModule> {
  try {
    return await import(backendModuleUrl.href) as BackendModule;
  } catch (e) {
    throw new Error(`Cannot set up a tensor backend: ${backendModuleUrl.pathname} could not be loaded (${(e as Error).message.split("\n")[0]})`);
  }
}

/** Which backend `requested` (auto|tensorflow|native|wasm|cpu) means here, and why. */
export async function resolveBackend(requested: string): Promise<{ name: string; note: string }> {
  return await (await loadBackendModule()).resolveBackendName(requested);
}

/** Sets up tfjs with backend `name` in this process (called in a step's child process). */
export async function initBackend(name: string): Promise<void> {
  await (await loadBackendModule()).initBackend(name);
}
