/**
 * Choosing and starting the tfjs backend every numeric task runs on.
 *
 * `resolveBackendName` is cheap (it loads neither tfjs nor wasm) so the runner can put the
 * resolved name into step fingerprints before any work starts; `initBackend` then loads the
 * backend, registers all gradient functions and the project's own gradient kernels, and makes
 * it current.
 *
 * @example
 * ```ts
 * import { initBackend, resolveBackendName } from "./backend.ts";
 * const { name, note } = await resolveBackendName(); // env EBM_BACKEND or "auto"
 * console.log(note); // "auto: tfjs-node not installed; oneDNN not found (…); using wasm (SIMD, 2 threads (all cores))"
 * await initBackend(name);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { describeWasmThreads, resolveWasmThreads } from "./wasm/threads.ts";
import { wasmStartInfo } from "./wasm/start_info.ts";

/** Every name `--backend` / `EBM_BACKEND` accepts. */
export const BACKEND_NAMES = ["auto", "tensorflow", "native", "wasm", "cpu"] as const;

/** A backend name as accepted on the command line. */
export type BackendName = typeof BACKEND_NAMES[number];

/** Packages that provide the `tensorflow` backend, GPU build first. */
const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

/**
 * Imports tfjs-node (GPU build first) when the project maps it (`deno task setup:gpu`).
 * Unmapped packages are never fetched: `import.meta.resolve` fails first, which costs nothing.
 */
async function importTfjsNode(): Promise<{ ok: true; pkg: string } | { ok: false; reason: string }> {
  const reasons: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    let specifier: string;
    try {
      specifier = import.meta.resolve(pkg);
    } catch {
      reasons.push(`${pkg} not installed`);
      continue;
    }
    try {
      await import(specifier);
      return { ok: true, pkg };
    } catch (e) {
      reasons.push(`${pkg} failed to load (${String((e as Error).message).split("\n")[0]})`);
    }
  }
  return { ok: false, reason: reasons.join(", ") };
}

/** Asks the native helper's module whether oneDNN can be loaded; a missing export means "no". */
async function nativeAvailability(): Promise<{ ok: boolean; reason: string }> {
  try {
    const mod = await import("./native/register.ts") as Record<string, unknown>;
    const probe = mod.nativeLibraryAvailable as (() => { ok: boolean; path?: string; reason?: string }) | undefined;
    if (typeof probe !== "function") return { ok: false, reason: "native backend not built" };
    const r = probe();
    return r.ok ? { ok: true, reason: `oneDNN at ${r.path ?? "?"}` } : { ok: false, reason: r.reason ?? "oneDNN not found" };
  } catch (e) {
    return { ok: false, reason: `native backend failed to load (${(e as Error).message.split("\n")[0]})` };
  }
}

function validateName(requested: string, source: string): BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new Error(`Cannot use ${source} '${requested}': expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  return requested as BackendName;
}

/**
 * Resolves `requested` (default: env `EBM_BACKEND`, else "auto") to a concrete backend name
 * without loading tfjs. `auto` prefers tensorflow (tfjs-node), then native (oneDNN), then wasm,
 * then cpu; `note` says which was picked and why.
 *
 * @example
 * ```ts
 * const { name } = await resolveBackendName("wasm"); // { name: "wasm", note: "requested: wasm, 2 threads (all cores)" }
 * ```
 */
export async function resolveBackendName(requested?: string): Promise<{ name: string; note: string }> {
  const fromEnv = requested === undefined ? Deno.env.get("EBM_BACKEND") : undefined;
  const source = requested !== undefined ? "backend" : fromEnv ? "EBM_BACKEND" : "backend";
  const name = validateName((requested ?? fromEnv ?? "auto").trim().toLowerCase(), source);
  if (name === "wasm") return { name, note: `requested: wasm, ${describeWasmThreads()}` };
  if (name !== "auto") return { name, note: `requested: ${name}` };
  const reasons: string[] = [];
  const tfn = await importTfjsNode();
  if (tfn.ok) return { name: "tensorflow", note: `auto: using tensorflow (${tfn.pkg})` };
  reasons.push(tfn.reason.includes("failed") ? tfn.reason : "tfjs-node not installed");
  const native = await nativeAvailability();
  if (native.ok) return { name: "native", note: `auto: ${reasons.join("; ")}; using native (${native.reason})` };
  reasons.push(`oneDNN not available (${native.reason})`);
  // Said once per run (the runner prints this note in its header): how to get the faster backend.
  const hint = "for the native backend (about 4× faster on the paper's nets here): sudo apt-get install libdnnl2, or set EBM_DNNL_PATH to a libdnnl.so";
  if (typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE)) {
    return { name: "wasm", note: `auto: ${reasons.join("; ")}; using wasm (SIMD, ${describeWasmThreads()}); ${hint}` };
  }
  if (typeof WebAssembly === "object") return { name: "wasm", note: `auto: ${reasons.join("; ")}; using wasm (no SIMD, 1 thread); ${hint}` };
  return { name: "cpu", note: `auto: ${reasons.join("; ")}; WebAssembly unavailable; using cpu` };
}

/** Smallest module using a SIMD instruction (v128.const + drop): validates only where SIMD works. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0,
  253, 12, ...new Array(16).fill(0), 26, 11,
]);

let gradientsLoaded = false;
/** Thread count reported when a backend registered itself (the native backend does). */
let registeredThreads: number | null = null;

/** tfjs-core alone has no gradient functions; the tfjs bundle registers all of them on import. */
async function loadGradients(): Promise<void> {
  if (gradientsLoaded) return;
  await import("@tensorflow/tfjs");
  const { registerMatMulGradient } = await import("./kernels/matmul_grad.ts");
  registerMatMulGradient();
  gradientsLoaded = true;
}

/**
 * Loads backend `name` (a resolved name, or "auto"), registers gradients and the project's
 * kernels, makes it the current tfjs backend and waits until it is ready.
 * Throws naming the backend when it cannot start.
 *
 * @example
 * ```ts ignore
 * await initBackend("wasm");
 * console.log(tf.getBackend()); // "wasm"
 * ```
 */
export async function initBackend(name: string): Promise<void> {
  let resolved = validateName(name.trim().toLowerCase(), "backend");
  if (resolved === "auto") resolved = (await resolveBackendName("auto")).name as BackendName;
  await loadGradients();
  const { registerProjectKernels } = await import("./project_kernels.ts");
  switch (resolved) {
    case "tensorflow": {
      const r = await importTfjsNode();
      if (!r.ok) throw new Error(`Cannot start backend 'tensorflow': ${r.reason} (run 'deno task setup:gpu')`);
      break;
    }
    case "native": {
      const { registerNativeBackend } = await import("./native/register.ts");
      const r = await registerNativeBackend();
      if (!r.ok) throw new Error(`Cannot start backend 'native': ${r.reason}`);
      registeredThreads = r.threads;
      break;
    }
    case "wasm": {
      await import("@tensorflow/tfjs-backend-wasm");
      const { prepareWasmBackend } = await import("./wasm/register.ts");
      prepareWasmBackend(resolveWasmThreads());
      break;
    }
    case "cpu":
      await import("@tensorflow/tfjs-backend-cpu");
      break;
  }
  registerProjectKernels(resolved);
  const ok = await tf.setBackend(resolved);
  if (!ok) throw new Error(`Cannot start backend '${resolved}': tfjs could not initialise it`);
  await tf.ready();
  if (resolved === "cpu") {
    // The cpu backend prints a "use tfjs-node" banner on its first write; we chose cpu knowingly.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  }
}

/**
 * What is running now: backend name, worker threads it uses, and whether wasm SIMD is on.
 *
 * @example
 * ```ts
 * await initBackend("wasm");
 * backendInfo(); // { name: "wasm", threads: 1, simd: true }
 * ```
 */
export function backendInfo(): { name: string; threads: number; simd: boolean | null } {
  const name = tf.getBackend();
  if (name === "wasm") {
    return { name, threads: wasmStartInfo()?.threads ?? 1, simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT") };
  }
  if (name === "native" && registeredThreads !== null) return { name, threads: registeredThreads, simd: null };
  const backend = tf.backend() as unknown as { threads?: number };
  return { name, threads: typeof backend.threads === "number" ? backend.threads : 1, simd: null };
}
