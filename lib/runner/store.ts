/**
 * The content-addressed output store `outputs/.cache/<fingerprint>/`. A step runs in a fresh
 * `outputs/.cache/tmp-<pid>-<random>/`; on success its files are hashed, `manifest.json` is
 * written last, and the directory is renamed into place in one step. An entry counts as fresh
 * only if its manifest is valid and every listed file exists with the listed size — sizes, not
 * hashes, so a no-op re-run over gigabytes stays instant. `outputs/<pipeline>/<step>` is a
 * relative symlink to the entry.
 *
 * @example
 * ```ts
 * import { createTempDir, commitEntry, freshManifest, linkStep } from "./store.ts";
 * const tmp = await createTempDir(root);
 * await Deno.writeTextFile(`${tmp}/out.txt`, "hi");
 * await commitEntry(root, tmp, fp);
 * (await freshManifest(root, fp)) !== null; // true
 * await linkStep(root, "demo", "generate", fp);
 * ```
 * @module
 */
import { dirname, join, relative } from "node:path";
import { sha256File } from "./hashing.ts";
import { listFiles } from "./external_inputs.ts";
import { pipelineOutDir, storeDir } from "./paths.ts";
import { readJson, writeJsonAtomic } from "../util/fs.ts";

/** Version of the manifest format. */
export const MANIFEST_VERSION = 1;

/** `manifest.json` of a store entry. */
export interface Manifest {
  version: number;
  fingerprint: string;
  /** ISO time the entry was committed. */
  created: string;
  /** Relative path → size and sha256, for every file except the manifest itself. */
  files: Record<string, { size: number; sha256: string }>;
}

/** Absolute path of the entry for `fingerprint`. */
export function entryDir(root: string, fingerprint: string): string {
  return join(storeDir(root), fingerprint);
}

/**
 * The manifest of a fresh entry, or null when the entry is missing, has no valid manifest, or a
 * listed file is missing or has another size.
 */
export async function freshManifest(root: string, fingerprint: string): Promise<Manifest | null> {
  const dir = entryDir(root, fingerprint);
  let manifest: Manifest;
  try {
    manifest = await readJson<Manifest>(join(dir, "manifest.json"));
  } catch {
    return null;
  }
  if (manifest?.version !== MANIFEST_VERSION || manifest.fingerprint !== fingerprint || typeof manifest.files !== "object") return null;
  for (const [path, { size }] of Object.entries(manifest.files)) {
    try {
      if ((await Deno.stat(join(dir, path))).size !== size) return null;
    } catch {
      return null;
    }
  }
  return manifest;
}

/**
 * `outputs/.cache/resume-<fingerprint>/`: survives a killed or failed run of the step so a long
 * task can continue from its own checkpoints; removed after the step succeeds.
 */
export function resumeDir(root: string, fingerprint: string): string {
  return join(storeDir(root), `resume-${fingerprint}`);
}

/** A new empty working directory inside the store (same file system, so the final rename is atomic). */
export async function createTempDir(root: string): Promise<string> {
  const dir = join(storeDir(root), `tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Hashes the files of `tmpDir`, writes its manifest last, makes the files read-only and renames
 * the directory to the entry of `fingerprint` (replacing an older entry, e.g. under --force).
 */
export async function commitEntry(root: string, tmpDir: string, fingerprint: string): Promise<Manifest> {
  const files: Manifest["files"] = {};
  for (const file of await listFiles(tmpDir)) {
    const rel = relative(tmpDir, file);
    if (rel === "manifest.json") continue;
    const size = (await Deno.stat(file)).size;
    files[rel] = { size, sha256: await sha256File(file) };
    await Deno.chmod(file, 0o444);
  }
  const manifest: Manifest = { version: MANIFEST_VERSION, fingerprint, created: new Date().toISOString(), files };
  await writeJsonAtomic(join(tmpDir, "manifest.json"), manifest);
  const target = entryDir(root, fingerprint);
  try {
    await Deno.rename(tmpDir, target);
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists) && !String(e).includes("Directory not empty")) throw e;
    // Move the old entry aside first: a reader sees either the old entry, none, or the new one.
    const trash = join(storeDir(root), `trash-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
    await Deno.rename(target, trash);
    await Deno.rename(tmpDir, target);
    await Deno.remove(trash, { recursive: true });
  }
  return manifest;
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
