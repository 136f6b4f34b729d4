/**
 * File URL ↔ path conversion (deno std is not available here) and the runner's fixed layout
 * under the project root.
 *
 * @example
 * ```ts
 * import { toFileUrl, fromFileUrl, storeDir } from "./paths.ts";
 * toFileUrl("/a b/c.ts").href; // "file:///a%20b/c.ts"
 * fromFileUrl(new URL("file:///a%20b/c.ts")); // "/a b/c.ts"
 * storeDir("/work/main"); // "/work/main/outputs/.cache"
 * ```
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

/** `file:` URL of an absolute path. */
export function toFileUrl(path: string): URL {
  return pathToFileURL(path);
}

/** Absolute path of a `file:` URL. */
export function fromFileUrl(url: URL | string): string {
  return fileURLToPath(url);
}

/** `<root>/outputs` */
export function outputsDir(root: string): string {
  return join(root, "outputs");
}

/** `<root>/outputs/.cache`: the content-addressed store. */
export function storeDir(root: string): string {
  return join(root, "outputs", ".cache");
}

/** `<root>/outputs/<pipeline>`: links to the pipeline's current step outputs, the lock file. */
export function pipelineOutDir(root: string, pipeline: string): string {
  return join(root, "outputs", pipeline);
}

/** The deno.json the runner runs with; step processes use it too, and its imports resolve bare specifiers. */
export const runnerConfigPath: string = fromFileUrl(new URL("../../deno.json", import.meta.url));
