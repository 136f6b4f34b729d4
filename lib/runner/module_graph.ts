/**
 * The module graph of task code, parsed from the source (see `js_imports.ts`): for an entry
 * module, every local file it reaches (path → sha256) and every npm package it reaches (with the
 * transitive closure from `deno.lock`). Bare specifiers are resolved through the `imports` of
 * the deno.json the runner runs with (the same map the step processes use). Each file is read
 * and parsed once per run, so steps sharing modules share the work; the specifiers found in a
 * file are also kept across runs by content hash (`outputs/.cache/imports-cache.json`), so an
 * unchanged file is only read and hashed, never re-tokenized.
 *
 * @example
 * ```ts
 * import { ModuleGraph } from "./module_graph.ts";
 * const graph = await ModuleGraph.create("/work/main", "/work/main/deno.json");
 * const { sources, npm } = await graph.closure("/work/main/tasks/demo-stats.ts");
 * ```
 * @module
 */
import { dirname, isAbsolute, join, relative } from "node:path";
import { fromFileUrl, toFileUrl } from "./paths.ts";
import { findImports } from "./js_imports.ts";
import { sha256Hex } from "./hashing.ts";
import { NpmLock, parseNpmSpecifier } from "./npm_lock.ts";
import { readJson, exists, writeJsonAtomic } from "../util/fs.ts";

type Dep = { kind: "local"; path: string } | { kind: "npm"; name: string; request: string } | { kind: "remote"; specifier: string };

interface ParsedModule {
  /** sha256 of the content, or "missing" when the file does not exist. */
  hash: string;
  deps: Dep[];
}

/** What an entry module reaches. */
export interface ModuleClosure {
  /** Display path (relative to the root when inside it) → sha256 or "missing". */
  sources: Record<string, string>;
  /** npm package → version (several versions joined by ", "); remote URLs map to "remote". */
  npm: Record<string, string>;
}

const parseable = /\.(m|c)?[jt]sx?$/;

/** Parses modules on demand and caches them for the lifetime of the object (one run). */
export class ModuleGraph {
  #root: string;
  #imports: Record<string, string>;
  #configDir: string;
  #lock: NpmLock;
  #modules = new Map<string, Promise<ParsedModule>>();
  #specifierCache: Record<string, string[]>;
  #specifierCacheFile: string | null;
  #specifierCacheDirty = false;

  private constructor(root: string, configDir: string, imports: Record<string, string>, lock: NpmLock, cacheFile: string | null, cache: Record<string, string[]>) {
    this.#root = root;
    this.#configDir = configDir;
    this.#imports = imports;
    this.#lock = lock;
    this.#specifierCacheFile = cacheFile;
    this.#specifierCache = cache;
  }

  /**
   * Reads the import map of `configPath` (a deno.json) and the deno.lock beside it. With
   * `cacheFile`, specifiers found in earlier runs are reused by content hash (see {@link save}).
   */
  static async create(root: string, configPath: string, cacheFile: string | null = null): Promise<ModuleGraph> {
    const config = await exists(configPath) ? await readJson<{ imports?: Record<string, string>; lock?: unknown }>(configPath) : {};
    const lockPath = typeof config.lock === "string" ? join(dirname(configPath), config.lock) : join(dirname(configPath), "deno.lock");
    let cache: Record<string, string[]> = {};
    if (cacheFile && await exists(cacheFile)) {
      try {
        const read = await readJson<{ version: number; files: Record<string, string[]> }>(cacheFile);
        if (read.version === 1 && read.files) cache = read.files;
      } catch {
        // unreadable: rebuilt on save
      }
    }
    return new ModuleGraph(root, dirname(configPath), config.imports ?? {}, await NpmLock.read(lockPath), cacheFile, cache);
  }

  /** Writes the specifier cache if new files were parsed (keeps at most 20,000 entries). */
  async save(): Promise<void> {
    if (!this.#specifierCacheFile || !this.#specifierCacheDirty) return;
    const entries = Object.entries(this.#specifierCache);
    await writeJsonAtomic(this.#specifierCacheFile, { version: 1, files: Object.fromEntries(entries.slice(Math.max(0, entries.length - 20_000))) });
    this.#specifierCacheDirty = false;
  }

  /** Local sources and npm packages reachable from `entryFile` (absolute path). */
  async closure(entryFile: string): Promise<ModuleClosure> {
    const sources: Record<string, string> = {};
    const npm: Record<string, string> = {};
    const seen = new Set<string>();
    const queue = [entryFile];
    while (queue.length) {
      const batch = queue.splice(0).filter((f) => !seen.has(f));
      batch.forEach((f) => seen.add(f));
      const parsed = await Promise.all(batch.map((f) => this.#parse(f)));
      batch.forEach((file, i) => {
        sources[this.#display(file)] = parsed[i].hash;
        for (const dep of parsed[i].deps) {
          if (dep.kind === "local") {
            if (!seen.has(dep.path)) queue.push(dep.path);
          } else if (dep.kind === "npm") {
            Object.assign(npm, this.#lock.closure(dep.name, dep.request));
          } else {
            npm[dep.specifier] = "remote";
          }
        }
      });
    }
    return { sources: sortRecord(sources), npm: sortRecord(npm) };
  }

  #display(file: string): string {
    const rel = relative(this.#root, file);
    return rel.startsWith("..") || isAbsolute(rel) ? file : rel;
  }

  #parse(file: string): Promise<ParsedModule> {
    let promise = this.#modules.get(file);
    if (!promise) {
      promise = this.#read(file);
      this.#modules.set(file, promise);
    }
    return promise;
  }

  async #read(file: string): Promise<ParsedModule> {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory) return { hash: "missing", deps: [] };
      throw e;
    }
    const hash = sha256Hex(bytes);
    if (!parseable.test(file)) return { hash, deps: [] };
    let specifiers = this.#specifierCache[hash];
    if (!specifiers) {
      specifiers = findImports(new TextDecoder().decode(bytes));
      this.#specifierCache[hash] = specifiers;
      this.#specifierCacheDirty = true;
    }
    const deps: Dep[] = [];
    for (const spec of specifiers) {
      const dep = this.#resolve(spec, file);
      if (dep) deps.push(dep);
    }
    return { hash, deps };
  }

  #resolve(spec: string, importer: string): Dep | null {
    if (spec.startsWith("node:") || spec.startsWith("data:")) return null;
    if (spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/")) {
      return { kind: "local", path: fromFileUrl(new URL(spec, toFileUrl(importer))) };
    }
    if (spec.startsWith("file:")) return { kind: "local", path: fromFileUrl(new URL(spec)) };
    if (spec.startsWith("npm:")) return { kind: "npm", ...parseNpmSpecifier(spec) };
    if (/^(https?|jsr):/.test(spec)) return { kind: "remote", specifier: spec };
    const mapped = this.#mapBare(spec);
    if (mapped === null) return { kind: "remote", specifier: spec };
    if (mapped.startsWith("npm:")) return { kind: "npm", ...parseNpmSpecifier(mapped) };
    if (/^(https?|jsr):/.test(mapped)) return { kind: "remote", specifier: mapped };
    if (mapped.startsWith("file:")) return { kind: "local", path: fromFileUrl(new URL(mapped)) };
    return { kind: "local", path: join(this.#configDir, mapped) };
  }

  /** Import-map lookup: an exact key, else the longest key ending in "/" that prefixes `spec`. */
  #mapBare(spec: string): string | null {
    if (spec in this.#imports) return this.#imports[spec];
    let best: string | null = null;
    for (const key of Object.keys(this.#imports)) {
      if (key.endsWith("/") && spec.startsWith(key) && (best === null || key.length > best.length)) best = key;
    }
    return best === null ? null : this.#imports[best] + spec.slice(best.length);
  }
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
