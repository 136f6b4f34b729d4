/**
 * The content-addressed output store `outputs/.cache/<fingerprint>/`, shared by every pipeline,
 * every process and (on a shared file system) every machine that uses the same project checkout.
 * `outputs/<pipeline>/<step>` is a relative symlink to an entry.
 *
 * ## Layout
 * - `<fingerprint>/` — a published entry: the step's files plus `manifest.json` (size, mtime and
 *   sha256 of every file, and a random `id` naming this particular insert). Its files are
 *   read-only; after it is published only its manifest is ever rewritten (atomically, to record
 *   new mtimes of unchanged files).
 * - `tmp-<pid>-<rand>.<host>/` — a step's working directory, on its way to becoming an entry.
 * - `replaced-<fingerprint>-<tag>/` — the tombstone of an entry that a `--force` run replaced:
 *   only its manifest is kept, until `deno task clean`. `<tag>` is a hash of the entry's id.
 * - `damaged-<fingerprint>-<tag>/` — an entry whose files no longer match its manifest, set
 *   aside by a run or by `deno task verify` so the next run rebuilds it; kept for inspection
 *   until `deno task clean`.
 * - `resume-<fingerprint>/` — resumable state of a step that has not finished (see `clean.ts`).
 *
 * ## Insert protocol
 * What it assumes of the file system: `rename(2)` of a directory is atomic, and renaming a
 * directory onto an existing non-empty directory fails (ENOTEMPTY/EEXIST) instead of replacing
 * it. Local file systems and NFSv3/v4 (the server performs the rename) provide both. It needs no
 * locks, no lease times and no synchronised clocks: no decision compares a time written by one
 * machine with a clock on another (the mtimes in a manifest are only compared with the same
 * file's mtime later).
 *
 * 1. A step runs in its own `tmp-…` directory inside the store (same file system, so step 3 is a
 *    rename, not a copy). The host name in it tells `clean` whose process to check for liveness.
 * 2. On success the runner hashes every file, makes it read-only, records size + mtime + sha256
 *    in `manifest.json` with a fresh random `id`, and writes the manifest last.
 * 3. Publish: `rename(tmp, <fingerprint>)`. Exactly one of any number of concurrent inserts of
 *    the same fingerprint succeeds. A loser gets ENOTEMPTY: it verifies the winner's entry
 *    (re-hashes it against the winner's manifest), deletes its own `tmp-…` and uses the winner's
 *    entry — both processes report success. (Same fingerprint means same inputs; outputs may
 *    still differ in log timestamps, which is why the loser adopts rather than compares.)
 * 4. Replace (`--force`) and set aside (a damaged entry): the planner remembers the `id` of the
 *    entry it saw. To retire it, a process renames `<fingerprint>` to `replaced-<fingerprint>-<tag>`
 *    (or `damaged-…`), where `<tag>` is a hash of that `id`: a name that depends only on the
 *    entry being retired, and that stays a non-empty directory until `clean`. The first rename
 *    succeeds; every later one — from a process that saw the same old entry — fails because the
 *    destination exists, even if by then `<fingerprint>` is a newer entry. So concurrent
 *    `--force` runs replace an entry once, and no run ever retires an entry published after it
 *    planned; a forced run that finds its old entry already retired just does step 3 (and
 *    adopts the entry that won).
 *
 * Readers therefore see either a complete entry (its manifest is inside before it gets its name)
 * or none; never a half-moved one. The one window: while a forced run replaces an entry, a
 * process reading that same entry by path may find it gone (without `--force`, entries are never
 * replaced or deleted except by `clean`, and `clean` refuses while any pipeline runs).
 *
 * ## Checks on every cache hit
 * {@link checkEntry} stats every listed file: a missing file or another size means damaged; an
 * mtime that differs from the manifest's means the file is re-hashed — the same sha256 keeps the
 * entry fresh (and the manifest takes the new mtime), another one means damaged. Manifests of
 * version 1 (sizes only) are re-hashed once and upgraded in place. {@link verifyEntry} re-hashes
 * everything (`deno task verify`).
 *
 * @example
 * ```ts
 * import { checkEntry, commitEntry, createTempDir, linkStep } from "./store.ts";
 * const root = await Deno.makeTempDir();
 * const fp = "0".repeat(64);
 * const tmp = await createTempDir(root);
 * await Deno.writeTextFile(`${tmp}/out.txt`, "hi");
 * await commitEntry(root, tmp, fp, { replaceId: null });
 * (await checkEntry(root, fp)).state; // "fresh"
 * await linkStep(root, "demo", "generate", fp);
 * ```
 * @module
 */
import { dirname, join, relative } from "node:path";
import { sha256File, sha256Hex } from "./hashing.ts";
import { listFiles } from "./external_inputs.ts";
import { pipelineOutDir, storeDir } from "./paths.ts";
import { readJson, writeJsonAtomic } from "../util/fs.ts";

/** Version of the manifest format (2 added mtimes and the insert id). */
export const MANIFEST_VERSION = 2;

/** One file of an entry as recorded in its manifest. */
export interface ManifestFile {
  size: number;
  sha256: string;
  /** Modification time (ms since the epoch) when the manifest was written or last upgraded. */
  mtimeMs: number;
}

/** `manifest.json` of a store entry. */
export interface Manifest {
  version: number;
  fingerprint: string;
  /** Random name of this insert: a forced run replaces an entry only if it still has the id it planned against. */
  id: string;
  /** ISO time the entry was committed (informational only; never compared across machines). */
  created: string;
  /** Relative path → size, mtime and sha256, for every file except the manifest itself. */
  files: Record<string, ManifestFile>;
}

/** What {@link checkEntry} found. */
export type EntryState =
  | { state: "fresh"; manifest: Manifest }
  | { state: "missing" }
  | { state: "damaged"; problems: string[]; id: string | null };

/** Absolute path of the entry for `fingerprint`. */
export function entryDir(root: string, fingerprint: string): string {
  return join(storeDir(root), fingerprint);
}

/**
 * `outputs/.cache/resume-<fingerprint>/`: survives a killed or failed run of the step so a long
 * task can continue from its own checkpoints; removed after the step succeeds.
 */
export function resumeDir(root: string, fingerprint: string): string {
  return join(storeDir(root), `resume-${fingerprint}`);
}

let cachedHost: string | null = null;
/** This machine's name as used in scratch directory names (no '.' or '/'). */
export function hostTag(): string {
  if (cachedHost === null) {
    let host = "localhost";
    try {
      host = Deno.hostname();
    } catch {
      // no --allow-sys: every scratch name then says localhost
    }
    cachedHost = host.split(".")[0].replace(/[^A-Za-z0-9_-]/g, "_") || "localhost";
  }
  return cachedHost;
}

/** A scratch directory name `<kind>-<pid>-<rand>.<host>` (see the module doc). */
function scratchName(kind: "tmp"): string {
  return `${kind}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.${hostTag()}`;
}

/** Parses a scratch name; `host` is null for names written before hosts were recorded (this machine). */
export function parseScratchName(name: string): { kind: string; pid: number; host: string | null } | null {
  const m = /^(tmp|trash)-(\d+)-[0-9a-f]{8}(?:\.([A-Za-z0-9_-]+))?$/.exec(name);
  return m ? { kind: m[1], pid: Number(m[2]), host: m[3] ?? null } : null;
}

/** A new empty working directory inside the store (same file system, so the final rename is atomic). */
export async function createTempDir(root: string): Promise<string> {
  const dir = join(storeDir(root), scratchName("tmp"));
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

function isNotEmpty(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return e instanceof Deno.errors.AlreadyExists || code === "ENOTEMPTY" || code === "EEXIST" || /Directory not empty/.test(String(e));
}

async function readManifest(dir: string): Promise<{ manifest: Manifest | null; problem: string | null; absent: boolean }> {
  try {
    const manifest = await readJson<Manifest>(join(dir, "manifest.json"));
    if (manifest === null || typeof manifest !== "object" || typeof manifest.files !== "object" || manifest.files === null) {
      return { manifest: null, problem: "manifest.json is not a manifest", absent: false };
    }
    return { manifest, problem: null, absent: false };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      const dirThere = await Deno.stat(dir).then(() => true, () => false);
      return { manifest: null, problem: dirThere ? "manifest.json is missing" : null, absent: !dirThere };
    }
    return { manifest: null, problem: (e as Error).message, absent: false };
  }
}

/** The id of a manifest; entries upgraded from version 1 get one derived from their content, the same in every process. */
function manifestId(manifest: Manifest): string {
  if (typeof manifest.id === "string") return manifest.id;
  return `v1-${manifest.fingerprint?.slice(0, 16)}-${manifest.created}`;
}

/**
 * Checks the entry of `fingerprint` cheaply (see the module doc): fresh, missing, or damaged with
 * one line per damaged file. Re-hashes only files whose mtime changed (all files of a version-1
 * manifest) and then rewrites the manifest with the new mtimes.
 */
export async function checkEntry(root: string, fingerprint: string): Promise<EntryState> {
  return await inspectEntry(root, fingerprint, false);
}

/** Re-hashes every file of the entry against its manifest (`deno task verify`). */
export async function verifyEntry(root: string, fingerprint: string): Promise<EntryState> {
  return await inspectEntry(root, fingerprint, true);
}

async function inspectEntry(root: string, fingerprint: string, full: boolean): Promise<EntryState> {
  const dir = entryDir(root, fingerprint);
  const { manifest, problem, absent } = await readManifest(dir);
  if (absent) return { state: "missing" };
  if (!manifest) return { state: "damaged", problems: [problem ?? "manifest.json is unreadable"], id: null };
  const id = manifestId(manifest);
  if (manifest.fingerprint !== fingerprint) {
    return { state: "damaged", problems: [`manifest.json names fingerprint ${String(manifest.fingerprint).slice(0, 12)}, not ${fingerprint.slice(0, 12)}`], id };
  }
  if (manifest.version !== 1 && manifest.version !== MANIFEST_VERSION) {
    return { state: "damaged", problems: [`manifest.json has version ${manifest.version}; this runner reads versions 1 and ${MANIFEST_VERSION}`], id };
  }
  const upgrade = manifest.version !== MANIFEST_VERSION;
  const problems: string[] = [];
  const files: Record<string, ManifestFile> = {};
  let changed = upgrade;
  for (const [path, recorded] of Object.entries(manifest.files)) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(join(dir, path));
    } catch {
      problems.push(`${path} is missing`);
      continue;
    }
    if (info.size !== recorded.size) {
      problems.push(`${path} has ${info.size} bytes, its manifest says ${recorded.size}`);
      continue;
    }
    const mtimeMs = info.mtime?.getTime() ?? 0;
    if (full || upgrade || recorded.mtimeMs !== mtimeMs) {
      const sha256 = await sha256File(join(dir, path));
      if (sha256 !== recorded.sha256) {
        problems.push(`${path} changed: sha256 ${sha256.slice(0, 12)}…, its manifest says ${String(recorded.sha256).slice(0, 12)}…`);
        continue;
      }
      if (recorded.mtimeMs !== mtimeMs) changed = true;
    }
    files[path] = { size: recorded.size, sha256: recorded.sha256, mtimeMs };
  }
  if (problems.length > 0) return { state: "damaged", problems, id };
  const current: Manifest = { version: MANIFEST_VERSION, fingerprint, id, created: manifest.created, files };
  if (changed) {
    // Same content, new mtimes (or an old manifest): record them so the next check is cheap again.
    // Best effort: a read-only store still works, it just re-hashes next time.
    await writeJsonAtomic(join(dir, "manifest.json"), current).catch(() => {});
  }
  return { state: "fresh", manifest: current };
}

/** The name an entry with insert id `id` gets when it is retired (replaced or damaged): one name per id. */
function retiredName(kind: "replaced" | "damaged", fingerprint: string, id: string): string {
  return `${kind}-${fingerprint}-${sha256Hex(id).slice(0, 16)}`;
}

/** Renames the entry of `fingerprint` to `name` in the store; null when it is gone or `name` exists (someone else moved it first). */
async function moveEntry(root: string, fingerprint: string, name: string): Promise<string | null> {
  try {
    await Deno.rename(entryDir(root, fingerprint), join(storeDir(root), name));
    return name;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || isNotEmpty(e)) return null;
    throw e;
  }
}

/**
 * Renames the entry of `fingerprint` to `<kind>-<fingerprint>-<hash of id>` if it is the entry
 * with insert id `id`. The destination name depends only on `id` and stays a non-empty directory
 * until `clean`, so of all processes that retire the same entry exactly one rename succeeds, and
 * an entry published later (another id) can never be moved by a stale request: its rename hits
 * the existing destination and fails. Returns the new name, or null when someone else already
 * retired it (or it is gone).
 */
function retireEntry(root: string, fingerprint: string, id: string, kind: "replaced" | "damaged"): Promise<string | null> {
  return moveEntry(root, fingerprint, retiredName(kind, fingerprint, id));
}

/**
 * Moves a damaged entry to `damaged-<fingerprint>-<tag>/` so the next run rebuilds it; does
 * nothing when the entry now carries another id than `id` (someone already replaced it) or is
 * gone. `id` null (an unreadable manifest) moves whatever is there. Returns the new name, or null.
 */
export function setAsideEntry(root: string, fingerprint: string, id: string | null): Promise<string | null> {
  if (id !== null) return retireEntry(root, fingerprint, id, "damaged");
  return moveEntry(root, fingerprint, `damaged-${fingerprint}-${crypto.randomUUID().slice(0, 16)}`);
}

/** Deletes a replaced entry's files but keeps its directory with the manifest: the tombstone that makes retiring it once-only. */
async function pruneTombstone(path: string): Promise<void> {
  for await (const e of Deno.readDir(path)) {
    if (e.name !== "manifest.json") await Deno.remove(join(path, e.name), { recursive: true }).catch(() => {});
  }
}

/** Options of {@link commitEntry}. */
export interface CommitOptions {
  /**
   * The id of the entry this run is meant to replace (`--force`), as seen when it planned; null
   * to only insert. An entry with another id is never replaced.
   */
  replaceId: string | null;
}

/** What {@link commitEntry} did. */
export interface CommitResult {
  manifest: Manifest;
  /** False when another process published the entry first and this run adopted it. */
  inserted: boolean;
}

/**
 * Hashes the files of `tmpDir`, writes its manifest last, makes the files read-only and publishes
 * the directory as the entry of `fingerprint` following the insert protocol of the module doc.
 * `tmpDir` is gone afterwards (published or deleted). Throws when the winner's entry it would
 * adopt is damaged three times in a row.
 */
export async function commitEntry(root: string, tmpDir: string, fingerprint: string, options: CommitOptions): Promise<CommitResult> {
  const files: Manifest["files"] = {};
  for (const file of await listFiles(tmpDir)) {
    const rel = relative(tmpDir, file);
    if (rel === "manifest.json") continue;
    await Deno.chmod(file, 0o444);
    const info = await Deno.stat(file);
    files[rel] = { size: info.size, sha256: await sha256File(file), mtimeMs: info.mtime?.getTime() ?? 0 };
  }
  const manifest: Manifest = { version: MANIFEST_VERSION, fingerprint, id: crypto.randomUUID(), created: new Date().toISOString(), files };
  await writeJsonAtomic(join(tmpDir, "manifest.json"), manifest);
  const target = entryDir(root, fingerprint);
  let replaceId = options.replaceId;
  for (let attempt = 0; attempt < 3; attempt++) {
    const tomb = replaceId !== null ? await retireEntry(root, fingerprint, replaceId, "replaced") : null;
    try {
      await Deno.rename(tmpDir, target);
      return { manifest, inserted: true };
    } catch (e) {
      if (!isNotEmpty(e)) throw e;
    } finally {
      if (tomb) await pruneTombstone(join(storeDir(root), tomb)).catch(() => {});
    }
    // Lost the race: adopt the winner's entry if it checks out.
    const winner = await verifyEntry(root, fingerprint);
    if (winner.state === "fresh") {
      await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
      return { manifest: winner.manifest, inserted: false };
    }
    // The winner is damaged (or vanished between rename and check): replace it and try again.
    replaceId = null;
    if (winner.state === "damaged") await setAsideEntry(root, fingerprint, winner.id);
  }
  throw new Error(`Cannot publish ${relative(root, target)}: the entry another process published keeps failing verification`);
}

/** Points `outputs/<pipeline>/<step>` at the entry of `fingerprint` (relative link, replaced atomically). */
export async function linkStep(root: string, pipeline: string, stepId: string, fingerprint: string): Promise<void> {
  const link = join(pipelineOutDir(root, pipeline), stepId);
  const target = relative(dirname(link), entryDir(root, fingerprint));
  try {
    if ((await Deno.readLink(link)) === target) return;
  } catch {
    // missing or not a link: (re)create below
  }
  await Deno.mkdir(dirname(link), { recursive: true });
  const tmp = `${link}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.symlink(target, tmp);
  try {
    await Deno.rename(tmp, link);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Removes `outputs/<pipeline>/<step>` (when a step failed or was skipped, its link would otherwise
 * keep showing the output of an older configuration). The store entry itself stays.
 */
export async function unlinkStep(root: string, pipeline: string, stepId: string): Promise<void> {
  await Deno.remove(join(pipelineOutDir(root, pipeline), stepId)).catch(() => {});
}
