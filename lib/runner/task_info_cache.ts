/**
 * A cache that lets a no-op re-run plan without importing task modules (importing a tensor task
 * loads tfjs and can take seconds). What the planner needs from a task — its description,
 * `usesTensors`, the keys of its config schema, and for a given raw config the validated config
 * and `externalInputs(config)` — is a pure function of the task's code (local sources and npm
 * versions: the `codeDigest`) and the raw config, so it is cached under those digests in
 * `outputs/.cache/task-info.json`. Any code or config change misses the cache, and the planner
 * imports the task and validates as usual (with full error messages).
 *
 * @example
 * ```ts ignore
 * import { TaskInfoCache } from "./task_info_cache.ts";
 * const cache = await TaskInfoCache.open(root);
 * const info = cache.task(codeDigest) ?? cache.putTask(codeDigest, { name, description, usesTensors, keys });
 * await cache.save();
 * ```
 * @module
 */
import { join } from "node:path";
import { storeDir } from "./paths.ts";
import { exists, readJson, writeJsonAtomic } from "../util/fs.ts";

/** What the planner knows about a task without importing it. */
export interface TaskInfo {
  name: string;
  description: string;
  usesTensors: boolean;
  /** False when the task declares its results independent of the seed. */
  usesSeed: boolean;
  /** True when the task declares `resolveInputs` (machine-dependent inputs, resolved at every plan). */
  resolvesInputs?: boolean;
  /** True when the task declares `afterRun` (work after the run's lock file is written). */
  afterRun: boolean;
  /** Top-level config keys, or null when the schema is not a plain object schema. */
  keys: string[] | null;
}

/** A validated config and the external inputs it names. */
export interface ConfigInfo {
  config: Record<string, unknown>;
  external: string[];
}

interface CacheFile {
  version: number;
  tasks: Record<string, TaskInfo & { used: number }>;
  configs: Record<string, ConfigInfo & { used: number }>;
}

const VERSION = 3;
/** Entries unused for this long are dropped when the cache is saved. */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** The task-info cache of one project. */
export class TaskInfoCache {
  #path: string;
  #data: CacheFile;
  #dirty = false;

  private constructor(path: string, data: CacheFile) {
    this.#path = path;
    this.#data = data;
  }

  /** Loads the cache (a missing or unreadable file starts empty). */
  static async open(root: string): Promise<TaskInfoCache> {
    const path = join(storeDir(root), "task-info.json");
    let data: CacheFile = { version: VERSION, tasks: {}, configs: {} };
    if (await exists(path)) {
      try {
        const read = await readJson<CacheFile>(path);
        if (read.version === VERSION && read.tasks && read.configs) data = read;
      } catch {
        // rebuilt below on save
      }
    }
    return new TaskInfoCache(path, data);
  }

  /** Facts of the task whose code has this digest, if seen before. */
  task(codeDigest: string): TaskInfo | null {
    return this.#touch(this.#data.tasks[codeDigest]);
  }

  /** Records the facts of a task just imported; returns them. */
  putTask(codeDigest: string, info: TaskInfo): TaskInfo {
    this.#data.tasks[codeDigest] = { ...info, used: Date.now() };
    this.#dirty = true;
    return info;
  }

  /** The validated config for `key` = digest of (task code digest, raw merged config), if seen before. */
  config(key: string): ConfigInfo | null {
    return this.#touch(this.#data.configs[key]);
  }

  /** Records a config that validated; returns it. */
  putConfig(key: string, info: ConfigInfo): ConfigInfo {
    this.#data.configs[key] = { ...info, used: Date.now() };
    this.#dirty = true;
    return info;
  }

  #touch<T extends { used: number }>(entry: T | undefined): T | null {
    if (!entry) return null;
    // Refresh the age only once a day, so a no-op re-run does not have to rewrite the file.
    if (Date.now() - entry.used > 24 * 3600 * 1000) {
      entry.used = Date.now();
      this.#dirty = true;
    }
    return entry;
  }

  /** Writes the cache atomically if it changed, dropping long-unused entries. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    const cutoff = Date.now() - MAX_AGE_MS;
    const fresh = <T extends { used: number }>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v.used >= cutoff));
    await writeJsonAtomic(this.#path, { version: VERSION, tasks: fresh(this.#data.tasks), configs: fresh(this.#data.configs) });
    this.#dirty = false;
  }
}
