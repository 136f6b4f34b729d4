/**
 * Small file-system helpers shared by the runner and tasks.
 *
 * @example
 * ```ts
 * import { writeJsonAtomic, exists } from "./fs.ts";
 * await writeJsonAtomic("out/metrics.json", { loss: 0.1 });
 * console.log(await exists("out/metrics.json")); // true
 * ```
 * @module
 */
import { dirname } from "node:path";

/** True when `path` exists (file, directory or link target). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Writes `data` to `path` via a temporary sibling and a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Writes pretty JSON atomically (see {@link writeFileAtomic}). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Reads and parses a JSON file, naming the file in the error when it is not valid JSON. */
export async function readJson<T = unknown>(path: string): Promise<T> {
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`Cannot read '${path}': not valid JSON (${(e as Error).message})`);
  }
}
