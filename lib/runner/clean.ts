/**
 * `deno task clean`: removes store entries that no `outputs/<pipeline>/pipeline.lock.json` and
 * no `outputs/<pipeline>/<step>` link references, plus temporary directories left by dead runs.
 * Refuses while any pipeline run holds its lock (its new entries are not referenced yet).
 *
 * @example
 * ```ts
 * import { cleanStore } from "./clean.ts";
 * const { removed, bytes } = await cleanStore(root, { dryRun: true });
 * ```
 * @module
 */
import { basename, join, resolve } from "node:path";
import { UserError } from "./errors.ts";
import { outputsDir, storeDir } from "./paths.ts";
import { processAlive, runLockHolder } from "./run_lock.ts";
import { readJson, exists } from "../util/fs.ts";
import type { LockFile } from "./provenance.ts";

async function dirSize(path: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(path)) {
    const p = join(path, e.name);
    const info = await Deno.lstat(p);
    total += info.isDirectory ? await dirSize(p) : info.size;
  }
  return total;
}

/** Removes unreferenced entries (or only lists them with `dryRun`). */
export async function cleanStore(root: string, options: { dryRun: boolean }): Promise<{ removed: string[]; kept: number; bytes: number }> {
  const store = storeDir(root);
  if (!(await exists(store))) return { removed: [], kept: 0, bytes: 0 };
  const referenced = new Set<string>();
  for await (const e of Deno.readDir(outputsDir(root))) {
    if (!e.isDirectory || e.name === ".cache") continue;
    const holder = await runLockHolder(root, e.name);
    if (holder) throw new UserError(`Cannot clean: pipeline '${e.name}' is running (pid ${holder.pid}); try again when it has finished`);
    const dir = join(outputsDir(root), e.name);
    const lockPath = join(dir, "pipeline.lock.json");
    if (await exists(lockPath)) {
      try {
        const lock = await readJson<LockFile>(lockPath);
        for (const step of Object.values(lock.steps ?? {})) if (step.fingerprint) referenced.add(step.fingerprint);
      } catch {
        throw new UserError(`Cannot clean: ${lockPath} is not valid JSON; fix or delete it first`);
      }
    }
    for await (const link of Deno.readDir(dir)) {
      if (!link.isSymlink) continue;
      const target = resolve(dir, await Deno.readLink(join(dir, link.name)));
      referenced.add(basename(target));
    }
  }
  const removed: string[] = [];
  let kept = 0, bytes = 0;
  for await (const e of Deno.readDir(store)) {
    if (!e.isDirectory) continue;
    const temp = /^(tmp|trash)-(\d+)-/.exec(e.name);
    const resume = /^resume-([0-9a-f]{64})$/.exec(e.name);
    const drop = temp ? !processAlive(Number(temp[2]))
      : resume ? !referenced.has(resume[1])
      : /^[0-9a-f]{64}$/.test(e.name) && !referenced.has(e.name);
    if (!drop) {
      kept++;
      continue;
    }
    const path = join(store, e.name);
    bytes += await dirSize(path);
    removed.push(e.name);
    if (!options.dryRun) await Deno.remove(path, { recursive: true });
  }
  return { removed, kept, bytes };
}
