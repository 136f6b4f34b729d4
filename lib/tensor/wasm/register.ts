/**
 * Installs the factory tfjs calls to create the `wasm` backend: the threaded-SIMD build on
 * `threads` threads (`threaded.ts`), or tfjs's own single-threaded SIMD build for one thread or
 * when the threaded start fails — then with a logged reason, never a hang or a half-started pool.
 * On the threaded build, ops with small inputs run on a one-thread pool (`pool_switch.ts`).
 *
 * @example
 * ```ts ignore
 * await import("@tensorflow/tfjs-backend-wasm");
 * prepareWasmBackend(2);
 * await tf.setBackend("wasm"); // starts 2 threads, or 1 with a logged reason (see start_info.ts)
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { BackendWasm, getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { startThreadedModule } from "./threaded.ts";
import { findPoolSwitch, type PoolSwitch, usePoolFor } from "./pool_switch.ts";
import { recordWasmStart } from "./start_info.ts";
import { stopThinHelper } from "./thin_conv_helper.ts";

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

const WASM = "wasm";
/** tfjs-backend-wasm registers itself with this priority; ours keeps it. */
const WASM_PRIORITY = 2;

let stockFactory: Factory | null = null;
/** Thread count and start-up timeout of the registered factory. */
let prepared: string | null = null;

/** The backend on tfjs's single-threaded SIMD build, as tfjs-backend-wasm makes it. */
async function startStock(requested: number, fallback: string | null): Promise<tf.KernelBackend> {
  pools = null;
  setThreadsCount(1);
  const backend = await stockFactory!();
  recordWasmStart({ requested, threads: 1, fallback });
  return backend;
}

async function startThreaded(requested: number, timeoutMs: number | undefined): Promise<tf.KernelBackend> {
  let reason: string;
  try {
    if (!await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) throw new Error("this WebAssembly engine has no SIMD, which the threaded build needs");
    const { module, threads } = await startThreadedModule(requested, timeoutMs);
    setThreadsCount(threads);
    const backend = new BackendWasm(module as never);
    // The thin-convolution helper thread shares this heap: it ends with the backend.
    const dispose = backend.dispose.bind(backend);
    backend.dispose = () => {
      stopThinHelper(module.heapMemory as WebAssembly.Memory);
      dispose();
    };
    const actual = getThreadsCount();
    if (actual === threads) {
      try {
        pools = findPoolSwitch(module, threads);
      } catch (e) {
        pools = null;
        console.warn(`wasm backend: small ops stay on ${threads} threads (${(e as Error).message})`);
      }
      wrapKernelsWithPoolChoice();
      recordWasmStart({ requested, threads, fallback: null });
      return backend;
    }
    backend.dispose();
    reason = `XNNPACK's pool has ${actual} threads, expected ${threads}`;
  } catch (e) {
    reason = (e as Error).message;
  }
  console.warn(`wasm backend: ${reason}; running on 1 thread`);
  return await startStock(requested, reason);
}

/** The current threaded backend's pools (null: one pool for every op). */
let pools: PoolSwitch | null = null;
let kernelsWrapped = false;

/**
 * Wraps every wasm kernel registered so far so that it first picks the pool by input size
 * (`pool_switch.ts`); kernels registered later call these through `runKernel`. Once per process.
 */
function wrapKernelsWithPoolChoice(): void {
  if (kernelsWrapped) return;
  kernelsWrapped = true;
  for (const config of tf.getKernelsForBackend(WASM)) {
    const inner = config.kernelFunc;
    const kernelFunc = ((args: Parameters<tf.KernelFunc>[0]) => {
      if (pools !== null) {
        let elements = 0;
        for (const name in args.inputs) elements += tf.util.sizeFromShape(args.inputs[name]?.shape ?? []);
        usePoolFor(pools, elements);
      }
      return inner(args);
    }) as tf.KernelFunc;
    tf.unregisterKernel(config.kernelName, WASM);
    tf.registerKernel({ ...config, kernelFunc });
  }
}

/**
 * Makes tfjs create the `wasm` backend on `threads` threads. Call after importing
 * `@tensorflow/tfjs-backend-wasm` and before `tf.setBackend("wasm")`; a running wasm backend
 * with another thread count is disposed (its tensors with it) so the next `setBackend` restarts it.
 * `timeoutMs` bounds the threaded start-up (default in `startThreadedModule`).
 *
 * @example
 * ```ts ignore
 * prepareWasmBackend(resolveWasmThreads());
 * ```
 */
export function prepareWasmBackend(threads: number, options: { timeoutMs?: number } = {}): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`Cannot start the wasm backend: threads must be a positive integer, got ${threads}`);
  if (stockFactory === null) {
    const factory = tf.findBackendFactory(WASM);
    if (factory === null) throw new Error("Cannot start the wasm backend: @tensorflow/tfjs-backend-wasm is not loaded");
    stockFactory = factory as Factory;
  }
  const key = `${threads}/${options.timeoutMs ?? "default"}`;
  if (prepared === key && tf.findBackendFactory(WASM) !== null) return;
  tf.removeBackend(WASM);
  recordWasmStart(null);
  tf.registerBackend(WASM, () => threads === 1 ? startStock(1, null) : startThreaded(threads, options.timeoutMs), WASM_PRIORITY);
  prepared = key;
}
