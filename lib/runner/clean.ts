/**
 * `deno task clean`: removes from the store what no run needs any more, and says why for each.
 * Refuses while any pipeline run holds its lock (its new entries are not referenced yet).
 *
 * | store item | removed when |
 * |---|---|
 * | `<fingerprint>/` entry | no `outputs/<pipeline>/pipeline.lock.json` and no `outputs/<pipeline>/<step>` link refers to it |
 * | `damaged-…/` | always (a damaged entry set aside by a run or by `verify`) |
 * | `replaced-…/` | always (the tombstone of an entry a `--force` run replaced; see `store.ts`) |
 * | `tmp-…` (a step's working directory) | its process is gone (same host); made on another host: untouched for {@link SCRATCH_KEEP_DAYS} days |
 * | `claim-<fingerprint>/` (who is producing an entry; see `claim.ts`) | its owner is gone (same host); another host's: untouched for {@link SCRATCH_KEEP_DAYS} days |
 * | `claim-<fingerprint>.dead-…/` | always (a dead owner's claim, broken by a waiter) |
 * | `resume-<fingerprint>/` | the step has finished (its entry exists), or its newest file is older than {@link RESUME_KEEP_DAYS} days |
 *
 * So the saved state of a killed or failed run — which no lock file refers to when the runner
 * was SIGKILLed — stays until the step finishes or a month passes (`--restart=<step>` drops it at
 * once). The ages compare file mtimes with this machine's clock; on a shared file system that
 * only needs clocks that agree within days.
 *
 * @example
 * ```ts ignore
 * import { cleanStore } from "./clean.ts";
 * const root = Deno.cwd();
 * const { items } = await cleanStore(root, { dryRun: true });
 * for (const i of items) console.log(i.action, i.name, i.reason);
 * ```
 * @module
 */
import { join } from "node:path";
import { UserError } from "./errors.ts";
import { outputsDir, storeDir } from "./paths.ts";
import { processAlive, runLockHolder } from "./run_lock.ts";
import { hostTag, parseScratchName } from "./store.ts";
import { storeReferences } from "./store_refs.ts";
import { exists, readJson } from "../util/fs.ts";

/** Saved state of an unfinished step is kept this many days after its last write. */
export const RESUME_KEEP_DAYS = 30;
/** Scratch directories made on another host are kept this many days after their last write. */
export const SCRATCH_KEEP_DAYS = 7;

/** One store item and what clean does with it. */
export interface CleanItem {
  name: string;
  action: "remove" | "keep";
  reason: string;
  /** Size on disk (counted for removed items only; 0 for kept ones). */
  bytes: number;
}

/** What {@link cleanStore} did (or, with dryRun, would do). */
export interface CleanResult {
  removed: string[];
  /** Number of items kept. */
  kept: number;
  bytes: number;
  /** Every removed item, and the kept items that are not plain referenced entries. */
  items: CleanItem[];
}

async function dirStats(path: string): Promise<{ bytes: number; newest: number }> {
  let bytes = 0, newest = (await Deno.lstat(path)).mtime?.getTime() ?? 0;
  for await (const e of Deno.readDir(path)) {
    const p = join(path, e.name);
    const info = await Deno.lstat(p);
    if (info.isDirectory) {
      const sub = await dirStats(p);
      bytes += sub.bytes;
      newest = Math.max(newest, sub.newest);
    } else {
      bytes += info.size;
      newest = Math.max(newest, info.mtime?.getTime() ?? 0);
    }
  }
  return { bytes, newest };
}

function age(ms: number): string {
  const hours = ms / 3.6e6;
  return hours < 48 ? `${Math.max(0, hours).toFixed(1)} h` : `${(hours / 24).toFixed(1)} days`;
}

/** Removes what no run needs (or only lists it with `dryRun`); see the module doc for the rules. */
export async function cleanStore(root: string, options: { dryRun: boolean }): Promise<CleanResult> {
  const store = storeDir(root);
  const result: CleanResult = { removed: [], kept: 0, bytes: 0, items: [] };
  if (!(await exists(store))) return result;
  for await (const e of Deno.readDir(outputsDir(root))) {
    if (!e.isDirectory || e.name === ".cache") continue;
    const holder = await runLockHolder(root, e.name);
    if (holder) throw new UserError(`Cannot clean: pipeline '${e.name}' is running (pid ${holder.pid}); try again when it has finished`);
  }
  const refs = await storeReferences(root);
  const now = Date.now();
  const names: string[] = [];
  for await (const e of Deno.readDir(store)) if (e.isDirectory) names.push(e.name);
  for (const name of names.sort()) {
    const path = join(store, name);
    const stats = await dirStats(path);
    let decision: { remove: boolean; reason: string } | null = null;
    const scratch = parseScratchName(name);
    const resume = /^resume-([0-9a-f]{64})$/.exec(name);
    if (/^[0-9a-f]{64}$/.test(name)) {
      if (!refs.has(name)) decision = { remove: true, reason: "no lock file or step link refers to it" };
    } else if (name.startsWith("damaged-")) {
      decision = { remove: true, reason: "a damaged entry set aside by a run or by verify" };
    } else if (name.startsWith("replaced-")) {
      decision = { remove: true, reason: "tombstone of an entry a --force run replaced" };
    } else if (scratch) {
      const mine = scratch.host === null || scratch.host === hostTag();
      if (mine) {
        decision = processAlive(scratch.pid)
          ? { remove: false, reason: `in use by process ${scratch.pid}` }
          : { remove: true, reason: `left by process ${scratch.pid}, which is gone` };
      } else {
        const old = now - stats.newest > SCRATCH_KEEP_DAYS * 864e5;
        decision = { remove: old, reason: `made on host ${scratch.host}, last written ${age(now - stats.newest)} ago (kept ${SCRATCH_KEEP_DAYS} days)` };
      }
    } else if (/^claim-[0-9a-f]{64}\.dead-/.test(name)) {
      decision = { remove: true, reason: "claim of a run that died, broken by a waiting run" };
    } else if (/^claim-[0-9a-f]{64}$/.test(name)) {
      const owner = await readJson<{ host?: string; pid?: number }>(join(path, "owner.json")).catch(() => null);
      if (owner?.host === hostTag() && typeof owner.pid === "number") {
        decision = processAlive(owner.pid)
          ? { remove: false, reason: `held by process ${owner.pid}` }
          : { remove: true, reason: `claim left by process ${owner.pid}, which is gone` };
      } else {
        const old = now - stats.newest > SCRATCH_KEEP_DAYS * 864e5;
        decision = { remove: old, reason: `claim of ${owner?.pid !== undefined ? `process ${owner.pid} on host ${owner.host}` : "an unknown process"}, last renewed ${age(now - stats.newest)} ago (kept ${SCRATCH_KEEP_DAYS} days)` };
      }
    } else if (resume) {
      if (await exists(join(store, resume[1], "manifest.json"))) {
        decision = { remove: true, reason: "saved state of a step that has since finished" };
      } else {
        const old = now - stats.newest > RESUME_KEEP_DAYS * 864e5;
        const usedBy = refs.get(resume[1]);
        decision = {
          remove: old,
          reason: `saved state of an unfinished step${usedBy ? ` (${usedBy.join(", ")})` : ""}, last written ${age(now - stats.newest)} ago (kept ${RESUME_KEEP_DAYS} days)`,
        };
      }
    }
    if (decision === null || !decision.remove) {
      result.kept++;
      if (decision) result.items.push({ name, action: "keep", reason: decision.reason, bytes: 0 });
      continue;
    }
    result.items.push({ name, action: "remove", reason: decision.reason, bytes: stats.bytes });
    result.removed.push(name);
    result.bytes += stats.bytes;
    if (!options.dryRun) await Deno.remove(path, { recursive: true });
  }
  return result;
}
