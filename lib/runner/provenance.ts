/**
 * The per-pipeline lock / provenance file `outputs/<pipeline>/pipeline.lock.json`, written
 * atomically at the end of every run (also a failed one). The report and `deno task status`
 * read it. Shape (version 1):
 *
 * ```json
 * { "version": 1, "pipeline": "demo", "profile": null,
 *   "started": "2026-01-01T10:00:00.000Z", "finished": "2026-01-01T10:00:03.000Z",
 *   "runtime": { "deno": "2.9.6", "backend": "wasm", "backendNote": "why auto chose it" },
 *   "steps": {
 *     "<step id>": {
 *       "task": "demo-stats",
 *       "status": "ran | cached | failed | skipped",
 *       "fingerprint": "<64 hex>",
 *       "fields": { "sources": {}, "npm": {}, "config": {}, "seed": 0, "upstream": {}, "external": {}, "runtime": {} },
 *       "started": "ISO or null when it did not run",
 *       "seconds": 1.2,
 *       "output": "outputs/.cache/<fingerprint>  (null unless ran/cached)",
 *       "files": ["metrics.json", "step.log"],
 *       "metrics": { "...": "the step's metrics.json, when it wrote one" },
 *       "error": "message (failed/skipped only)"
 *     } } }
 * ```
 * `runtime.backend` is null when no step of the run uses tensors. Steps outside a `--only` /
 * `--until` selection keep their entry from the previous lock.
 *
 * @example
 * ```ts
 * import { readLockFile, writeLockFile } from "./provenance.ts";
 * const previous = await readLockFile(root, "demo"); // null before the first run
 * ```
 * @module
 */
import { join } from "node:path";
import type { FingerprintFields } from "./fingerprint.ts";
import { pipelineOutDir } from "./paths.ts";
import { readJson, writeJsonAtomic, exists } from "../util/fs.ts";

/** Version of the lock file format. */
export const LOCK_VERSION = 1;

/** One step's record in the lock file. */
export interface LockStep {
  task: string;
  status: "ran" | "cached" | "failed" | "skipped";
  fingerprint: string;
  fields: FingerprintFields;
  started: string | null;
  seconds: number | null;
  output: string | null;
  files: string[];
  metrics: Record<string, unknown> | null;
  error?: string;
}

/** The whole lock file. */
export interface LockFile {
  version: number;
  pipeline: string;
  profile: string | null;
  started: string;
  finished: string;
  runtime: { deno: string; backend: string | null; backendNote: string | null };
  steps: Record<string, LockStep>;
}

/** Path of the lock file of `pipeline`. */
export function lockFilePath(root: string, pipeline: string): string {
  return join(pipelineOutDir(root, pipeline), "pipeline.lock.json");
}

/** The last lock of `pipeline`, or null when there is none (or it has another version). */
export async function readLockFile(root: string, pipeline: string): Promise<LockFile | null> {
  const path = lockFilePath(root, pipeline);
  if (!(await exists(path))) return null;
  try {
    const lock = await readJson<LockFile>(path);
    return lock.version === LOCK_VERSION ? lock : null;
  } catch {
    return null;
  }
}

/** Writes the lock atomically. */
export async function writeLockFile(root: string, lock: LockFile): Promise<void> {
  await writeJsonAtomic(lockFilePath(root, lock.pipeline), lock);
}
