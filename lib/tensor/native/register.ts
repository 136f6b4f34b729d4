/**
 * Registers the `native` tfjs backend: tfjs's cpu kernels with the heavy ones (convolutions and
 * their gradients, matmuls, max-pooling) running on oneDNN through Deno FFI.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { nativeLibraryAvailable, registerNativeBackend } from "./register.ts";
 * if (nativeLibraryAvailable().ok) {
 *   const reg = await registerNativeBackend();
 *   if (reg.ok) await tf.setBackend("native");
 *   else console.log(`native backend unavailable: ${reg.reason}`);
 * }
 * ```
 * @module
 */
import { locateDnnl } from "./library.ts";

/** Outcome of trying to register the native backend. */
export type NativeRegistration =
  | { ok: true; library: string; threads: number; /** Heap buffer reuse (see heap.ts): "on", "off …" or "unavailable: …". */ heap: string }
  | { ok: false; reason: string };

/**
 * Cheap synchronous probe (no tfjs): is a usable oneDNN present? Tries `EBM_DNNL_PATH` if set,
 * else `libdnnl.so.3` then `libdnnl.so.2`, and checks that it opens and speaks the 2.x API.
 */
export function nativeLibraryAvailable(): { ok: boolean; path?: string; reason?: string } {
  return locateDnnl();
}

let registration: Promise<NativeRegistration> | null = null;

/**
 * Loads oneDNN, sets its thread count (`EBM_NATIVE_THREADS`, default: available cores),
 * registers the tfjs backend "native" and keeps freed buffers in the heap (heap.ts). Never
 * throws for a missing or unusable library: it returns `{ ok: false, reason }` (one line).
 * Repeated calls return the first outcome.
 */
export function registerNativeBackend(): Promise<NativeRegistration> {
  registration ??= register();
  return registration;
}

async function register(): Promise<NativeRegistration> {
  const found = locateDnnl();
  if (!found.ok || !found.path) return { ok: false, reason: found.reason ?? "oneDNN not found" };
  try {
    const { Dnnl } = await import("./dnnl.ts");
    const { openOmp, resolveThreadCount, setOmpThreads } = await import("./threads.ts");
    const { installNativeBackend } = await import("./install.ts");
    const { keepFreedBuffersInHeap } = await import("./heap.ts");
    const dnnl = Dnnl.open(found.path);
    const threads = setOmpThreads(resolveThreadCount());
    dnnl.setThreadControl(openOmp().set, threads);
    installNativeBackend(dnnl);
    const heap = keepFreedBuffersInHeap();
    return { ok: true, library: `${found.path} (oneDNN ${dnnl.version})`, threads, heap };
  } catch (error) {
    return { ok: false, reason: `cannot start the native backend: ${(error as Error).message.split("\n")[0]}` };
  }
}
