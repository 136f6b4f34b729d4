/**
 * Entry point of one pthread worker of the threaded wasm backend (started by `threaded.ts`
 * through `node:worker_threads`, which, unlike Deno's web Worker, can be unref'd so idle
 * workers never keep the process alive).
 *
 * Runs Emscripten's own pthread worker script from the tfjs package, with its globals bound to
 * this worker's message port; the main script it would normally `importScripts` is the glue
 * evaluated here by {@link threadedGlue}.
 *
 * @example
 * ```ts
 * new Worker(new URL("./pthread_worker.ts", import.meta.url)); // from node:worker_threads
 * ```
 * @module
 */
import { parentPort } from "node:worker_threads";
import { wasmWorkerContents } from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";
import { threadedGlue } from "./glue.ts";

if (parentPort === null) throw new Error("Cannot start a wasm pthread worker: not running in a worker thread");
const port = parentPort;

/** What Emscripten's worker script expects as `self` in a browser worker. */
const scope: Record<string, unknown> & { onmessage?: (e: { data: unknown }) => void } = {
  location: { href: import.meta.url },
};
const post = (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer as never);
const glue = threadedGlue({
  importScripts: () => {},
  self: scope,
  postMessage: post,
  startWorker: (module: unknown) => (scope.startWorker as (m: unknown) => void)(module),
  alert: (text: unknown) => (scope.alert as (t: unknown) => void)(text),
  navigator: globalThis.navigator,
}, 0);

const workerScript = new Function(
  "process", "require", "global", "__filename", "self", "postMessage", "importScripts", "WasmBackendModuleThreadedSimd",
  // The package keeps the script in a template literal, which turned its "\n" escapes into
  // real newlines inside string literals; tfjs re-escapes them the same way before use.
  String(wasmWorkerContents).replace(/\n/g, "\\n"),
);
workerScript(undefined, undefined, undefined, undefined, scope, post, () => {}, glue);

port.on("message", (data: unknown) => {
  if (scope.onmessage === undefined) throw new Error("Cannot run a wasm pthread worker: Emscripten's worker script did not install its handler");
  scope.onmessage({ data });
});
