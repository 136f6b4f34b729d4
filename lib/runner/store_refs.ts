/**
 * Which store entries the pipelines refer to: every fingerprint in an
 * `outputs/<pipeline>/pipeline.lock.json` and every `outputs/<pipeline>/<step>` link, with the
 * `pipeline/step` names that refer to it (for messages). `clean` keeps what is referenced;
 * `verify <pipeline>` checks what one pipeline references.
 *
 * @example
 * ```ts
 * import { storeReferences } from "./store_refs.ts";
 * const refs = await storeReferences(Deno.cwd());
 * for (const [fingerprint, names] of refs) console.log(fingerprint.slice(0, 12), names.join(", "));
 * ```
 * @module
 */
import { basename, join, resolve } from "node:path";
import { UserError } from "./errors.ts";
import { outputsDir } from "./paths.ts";
import { exists, readJson } from "../util/fs.ts";
import type { LockFile } from "./provenance.ts";

/** Fingerprint → `pipeline/step` names that refer to it (of `only` when given, else of every pipeline). */
export async function storeReferences(root: string, only?: string): Promise<Map<string, string[]>> {
  const refs = new Map<string, string[]>();
  const add = (fingerprint: string, name: string) => {
    const names = refs.get(fingerprint) ?? [];
    if (!names.includes(name)) names.push(name);
    refs.set(fingerprint, names);
  };
  if (!(await exists(outputsDir(root)))) return refs;
  for await (const e of Deno.readDir(outputsDir(root))) {
    if (!e.isDirectory || e.name === ".cache" || (only !== undefined && e.name !== only)) continue;
    const dir = join(outputsDir(root), e.name);
    const lockPath = join(dir, "pipeline.lock.json");
    if (await exists(lockPath)) {
      let lock: LockFile;
      try {
        lock = await readJson<LockFile>(lockPath);
      } catch {
        throw new UserError(`Cannot read outputs/${e.name}/pipeline.lock.json: not valid JSON; fix or delete it first`);
      }
      for (const [id, step] of Object.entries(lock.steps ?? {})) if (step.fingerprint) add(step.fingerprint, `${e.name}/${id}`);
    }
    for await (const link of Deno.readDir(dir)) {
      if (!link.isSymlink) continue;
      const target = resolve(dir, await Deno.readLink(join(dir, link.name)));
      add(basename(target), `${e.name}/${link.name}`);
    }
  }
  return refs;
}
