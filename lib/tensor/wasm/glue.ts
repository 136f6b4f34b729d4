/**
 * Evaluates tfjs-backend-wasm's threaded-SIMD Emscripten glue in a scope we control.
 *
 * Under Deno the glue sees `process` and takes its Node path, which breaks on worker start-up
 * (pthread workers are made from Blob URLs and assign getter-only globals). Re-evaluating the
 * glue's own source with those names bound as parameters makes it take its plain path instead:
 * no Node globals, no browser globals, and `Worker`, `postMessage` and friends are ours.
 * The pool size Emscripten pre-spawns (8 workers) is patched to what we actually use, so start-up
 * waits for exactly the workers XNNPACK's thread pool will run on. tfjs's C++ sizes that pool
 * from `navigator.hardwareConcurrency / 2` (assuming two hyper-threads per core) and caps any
 * requested count at it, so the main thread binds `navigator` to a view that reports twice the
 * requested thread count.
 *
 * @example
 * ```ts ignore
 * const factory = threadedGlue({ Worker: PthreadWorker }, 1); // one pool worker → 2 threads
 * const module = await factory({ instantiateWasm, locateFile });
 * ```
 * @module
 */
import threadedFactory from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";

/** Every free name of the glue that we bind; unset ones are bound to `undefined`. */
export const GLUE_BINDINGS = [
  "process", "require", "__filename", "__dirname", "global", "window", "document", "importScripts",
  "self", "Worker", "_scriptDir", "postMessage", "startWorker", "alert", "navigator",
] as const;

/** Values for the glue's free names (see {@link GLUE_BINDINGS}). */
export type GlueBindings = Partial<Record<typeof GLUE_BINDINGS[number], unknown>>;

/** The Emscripten module factory: config in, initialised module out. */
export type GlueFactory = (config: Record<string, unknown>) => Promise<Record<string, unknown>>;

const POOL_SIZE_SOURCE = "var pthreadPoolSize=8;";

/** The glue's source text, checked for the one line we patch so a new tfjs build fails loudly. */
function glueSource(): string {
  const source = (threadedFactory as unknown as () => unknown).toString();
  if (!source.includes(POOL_SIZE_SOURCE)) {
    throw new Error(`Cannot patch the threaded wasm glue: '${POOL_SIZE_SOURCE}' not found (tfjs-backend-wasm changed?)`);
  }
  return source;
}

/**
 * The threaded-SIMD module factory evaluated with `bindings` for its free names and a pthread
 * pool of `poolSize` pre-spawned workers (only meaningful on the main thread).
 *
 * @example
 * ```ts ignore
 * const factory = threadedGlue({ importScripts: () => {}, self: scope, postMessage: post }, 0);
 * ```
 */
export function threadedGlue(bindings: GlueBindings, poolSize: number): GlueFactory {
  if (!Number.isInteger(poolSize) || poolSize < 0) throw new Error(`Cannot patch the threaded wasm glue: pool size must be a non-negative integer, got ${poolSize}`);
  const source = glueSource().replace(POOL_SIZE_SOURCE, `var pthreadPoolSize=${poolSize};`);
  const names = [...GLUE_BINDINGS];
  // The glue is Emscripten's generated code shipped in the npm package; evaluating it as a
  // function of its free names is the only way to choose its environment branch.
  const make = new Function(...names, `return (${source});`);
  return make(...names.map((n) => bindings[n])) as GlueFactory;
}
