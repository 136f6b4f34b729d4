/**
 * Content hashes of a step's external inputs (datasets and other files outside the pipeline),
 * DVC-style: each file is hashed once, then trusted while its path, size and mtime are unchanged.
 * The stat cache lives in `outputs/.cache/external-stat.json` and is rewritten atomically.
 *
 * @example
 * ```ts
 * import { ExternalHasher } from "./external_inputs.ts";
 * const hasher = await ExternalHasher.open("/work/main");
 * const digest = await hasher.hash("/usr/share/datasets/fashion-mnist"); // dir: over all files
 * await hasher.save();
 * ```
 * @module
 */
import { isAbsolute, join, relative } from "node:path";
import { sha256File, sha256Hex } from "./hashing.ts";
import { storeDir } from "./paths.ts";
import { exists, readJson, writeJsonAtomic } from "../util/fs.ts";

interface StatEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** Hashes external files and directories with a persistent path+size+mtime cache. */
export class ExternalHasher {
  #root: string;
  #cacheFile: string;
  #entries: Record<string, StatEntry>;
  #dirty = false;
  #pending = new Map<string, Promise<string>>();

  private constructor(root: string, cacheFile: string, entries: Record<string, StatEntry>) {
    this.#root = root;
    this.#cacheFile = cacheFile;
    this.#entries = entries;
  }

  /** Loads the stat cache of project `root` (an unreadable cache is ignored and rebuilt). */
  static async open(root: string): Promise<ExternalHasher> {
    const cacheFile = join(storeDir(root), "external-stat.json");
    let entries: Record<string, StatEntry> = {};
    if (await exists(cacheFile)) {
      try {
        entries = (await readJson<{ version: number; files: Record<string, StatEntry> }>(cacheFile)).files ?? {};
      } catch {
        entries = {};
      }
    }
    return new ExternalHasher(root, cacheFile, entries);
  }

  /** Absolute form of a path given relative to the project root. */
  absolute(path: string): string {
    return isAbsolute(path) ? path : join(this.#root, path);
  }

  /** sha256 of a file's content, or for a directory of its sorted (relative path, file sha256) list. */
  hash(path: string): Promise<string> {
    const abs = this.absolute(path);
    let p = this.#pending.get(abs);
    if (!p) {
      p = this.#hashPath(abs);
      this.#pending.set(abs, p);
    }
    return p;
  }

  async #hashPath(abs: string): Promise<string> {
    const info = await Deno.stat(abs);
    if (info.isFile) return await this.#hashFile(abs, info);
    const lines: string[] = [];
    for (const file of await listFiles(abs)) {
      lines.push(`${relative(abs, file)}\t${await this.#hashFile(file, await Deno.stat(file))}`);
    }
    return sha256Hex(lines.join("\n"));
  }

  async #hashFile(abs: string, info: Deno.FileInfo): Promise<string> {
    const mtimeMs = info.mtime?.getTime() ?? 0;
    const cached = this.#entries[abs];
    if (cached && cached.size === info.size && cached.mtimeMs === mtimeMs) return cached.sha256;
    const sha256 = await sha256File(abs);
    this.#entries[abs] = { size: info.size, mtimeMs, sha256 };
    this.#dirty = true;
    return sha256;
  }

  /** Writes the stat cache if anything was hashed. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    await writeJsonAtomic(this.#cacheFile, { version: 1, files: this.#entries });
    this.#dirty = false;
  }
}

/** All regular files under `dir`, recursively, sorted; symlinks are followed. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(d)) names.push(e.name);
    for (const name of names.sort()) {
      const p = join(d, name);
      const info = await Deno.stat(p);
      if (info.isDirectory) await walk(p);
      else if (info.isFile) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
