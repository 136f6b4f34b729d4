/**
 * Starts tfjs-backend-wasm's threaded-SIMD build under Deno: XNNPACK's thread pool on pthread
 * workers (`pthread_worker.ts`, one per extra thread) sharing the module's memory.
 *
 * Start-up either completes or fails with a reason within `timeoutMs`; it never half-starts:
 * every worker must report "loaded" before XNNPACK's pool is created, and on any failure all
 * workers are terminated. Idle workers are unref'd, so a script exits by itself when its work is
 * done.
 *
 * @example
 * ```ts ignore
 * const { module, threads } = await startThreadedModule(2);
 * const backend = new BackendWasm(module); // after setThreadsCount(threads)
 * ```
 * @module
 */
import { Worker as NodeWorker } from "node:worker_threads";
import { threadedGlue } from "./glue.ts";

const WASM_FILE = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm";
const WORKER_FILE = "tfjs-backend-wasm-threaded-simd.worker.js";
const WORKER_URL = new URL("./pthread_worker.ts", import.meta.url);

/** A started threaded module, as tfjs's `BackendWasm` expects it (with the `tfjs` bridge). */
export type ThreadedModule = Record<string, unknown> & { PThread: { terminateAllThreads(): void } };

/** Why start-up failed, in one sentence; thrown as the error message. */
class StartError extends Error {}

/**
 * A pthread worker on `node:worker_threads` with the browser-Worker surface Emscripten's glue
 * uses (`onmessage`, `onerror`, `postMessage`, `terminate`). It keeps the process alive only
 * until it has loaded the module; after that an idle worker must not block exit.
 */
class PthreadWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  loaded = false;
  readonly #worker: NodeWorker | null;
  readonly #group: WorkerGroup;

  constructor(url: string | URL, group: WorkerGroup) {
    this.#group = group;
    // After a failed start the abandoned glue may still ask for workers: give it inert ones.
    if (group.stopping) {
      this.#worker = null;
      return;
    }
    const worker = new NodeWorker(new URL(String(url)));
    this.#worker = worker;
    group.workers.add(this);
    live.add(this);
    worker.on("message", (data: unknown) => {
      if ((data as { cmd?: unknown } | null)?.cmd === "loaded") worker.unref();
      this.onmessage?.({ data });
    });
    worker.on("error", (e: unknown) => {
      if (!group.started) return group.fail(`a pthread worker failed while starting (${(e as Error)?.message ?? e})`);
      // After start-up a broken worker would leave the pool waiting forever: fail loudly instead.
      if (this.onerror) this.onerror({ message: (e as Error)?.message ?? String(e), filename: WORKER_URL.pathname, lineno: 0 });
      else throw e;
    });
    worker.on("exit", (code: number) => {
      group.workers.delete(this);
      live.delete(this);
      if (!group.started && !group.stopping) group.fail(`a pthread worker exited with code ${code} while starting`);
    });
  }

  postMessage(message: unknown, transfer?: unknown[]): void {
    this.#worker?.postMessage(message, transfer as never);
  }

  terminate(): void {
    this.#group.workers.delete(this);
    live.delete(this);
    void this.#worker?.terminate();
  }
}

/** Every pthread worker not yet terminated or exited, across all starts. */
const live = new Set<PthreadWorker>();

/**
 * How many pthread workers are alive in this process (tests check that failed starts and
 * disposed backends leave none behind).
 *
 * @example
 * ```ts ignore
 * tf.removeBackend("wasm"); liveWorkerCount(); // 0
 * ```
 */
export function liveWorkerCount(): number {
  return live.size;
}

/** The workers of one start attempt, so a failed attempt can stop all of them. */
class WorkerGroup {
  readonly workers = new Set<PthreadWorker>();
  started = false;
  stopping = false;
  #reject: ((e: Error) => void) | null = null;

  onFailure(reject: (e: Error) => void): void {
    this.#reject = reject;
  }

  fail(reason: string): void {
    this.#reject?.(new StartError(reason));
  }

  stopAll(): void {
    this.stopping = true;
    for (const w of [...this.workers]) w.terminate();
  }
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** The threaded-SIMD binary from the npm package, compiled once per process. */
function threadedWasmModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const url = new URL(import.meta.resolve(WASM_FILE));
    return await WebAssembly.compile(await Deno.readFile(url));
  })();
  return compiled;
}

/** The `tfjs` bridge tfjs-backend-wasm's `init()` attaches; `BackendWasm` calls through it. */
function attachTfjsBridge(module: Record<string, unknown>): void {
  const cwrap = module.cwrap as (name: string, ret: string | null, args: string[]) => unknown;
  module.tfjs = {
    init: cwrap("init", null, []),
    initWithThreadsCount: cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: cwrap("get_threads_count", "number", []),
    registerTensor: cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: cwrap("dispose_data", null, ["number"]),
    dispose: cwrap("dispose", null, []),
  };
}

/**
 * Starts the threaded module with `threads` threads (the calling thread plus `threads − 1`
 * pthread workers). Rejects with a one-line reason, after stopping every worker it started,
 * if the workers do not all load within `timeoutMs`.
 *
 * @example
 * ```ts
 * const { module } = await startThreadedModule(2, 30_000);
 * ```
 */
export async function startThreadedModule(threads: number, timeoutMs = 60_000): Promise<{ module: ThreadedModule; threads: number }> {
  if (!Number.isInteger(threads) || threads < 2) throw new Error(`Cannot start threaded wasm: expected at least 2 threads, got ${threads}`);
  const group = new WorkerGroup();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const wasmModule = await threadedWasmModule();
    const failed = new Promise<never>((_, reject) => {
      group.onFailure(reject);
      timer = setTimeout(() => group.fail(`the pthread workers did not all load within ${timeoutMs} ms`), timeoutMs);
    });
    failed.catch(() => {}); // a late failure after a successful start has nobody to tell
    let heapMemory: WebAssembly.Memory | undefined;
    const factory = threadedGlue({
      Worker: function (url: string) {
        return new PthreadWorker(url, group);
      },
      // tfjs caps its pool at hardwareConcurrency / 2 (see glue.ts): report what makes it `threads`.
      navigator: { hardwareConcurrency: 2 * threads },
    }, threads - 1);
    const config: Record<string, unknown> = {
      mainScriptUrlOrBlob: "glue",
      locateFile: (path: string) => (path.endsWith(WORKER_FILE) ? WORKER_URL.href : path),
      instantiateWasm: (imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) => {
        heapMemory = imports.env?.memory as WebAssembly.Memory | undefined;
        WebAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule), (e) => group.fail(`cannot instantiate the module (${(e as Error).message})`));
        return {};
      },
      onAbort: (what: unknown) => group.fail(`the module aborted (${what})`),
      print: (text: string) => console.log(text),
      // The glue warns once that the main thread blocks while the pool works; under Deno that
      // is allowed (Atomics.wait on the main thread) and it is how XNNPACK's pool runs.
      printErr: (text: string) => text.startsWith("Blocking on the main thread") || console.error(text),
    };
    const module = await Promise.race([factory(config), failed]) as ThreadedModule;
    const pool = (module.PThread as unknown as { unusedWorkers: PthreadWorker[] }).unusedWorkers;
    if (pool.length !== threads - 1 || pool.some((w) => !w.loaded)) {
      throw new StartError(`expected ${threads - 1} loaded pthread workers, have ${pool.filter((w) => w.loaded).length} of ${pool.length}`);
    }
    if (!(heapMemory instanceof WebAssembly.Memory)) throw new StartError("the module was instantiated without its shared memory");
    // The glue keeps its memory private; the project's SIMD heap kernels need it.
    module.heapMemory = heapMemory;
    attachTfjsBridge(module);
    group.started = true;
    return { module, threads };
  } catch (e) {
    group.stopAll();
    throw new Error(`Cannot start threaded wasm with ${threads} threads: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
