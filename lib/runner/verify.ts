/**
 * `deno task verify [pipeline]`: re-hashes store entries against their manifests — every entry,
 * or those one pipeline refers to (its lock file and step links) — and sets each damaged entry
 * aside (`outputs/.cache/damaged-<fingerprint>-<rand>/`, see `store.ts`) so the next run
 * rebuilds it. The CLI exits 1 when anything was damaged.
 *
 * @example
 * ```ts
 * import { verifyStore } from "./verify.ts";
 * const { checked, damaged } = await verifyStore(Deno.cwd(), "demo");
 * for (const d of damaged) console.log(d.fingerprint, d.problems);
 * ```
 * @module
 */
import { UserError } from "./errors.ts";
import { storeDir } from "./paths.ts";
import { setAsideEntry, verifyEntry } from "./store.ts";
import { storeReferences } from "./store_refs.ts";
import { exists } from "../util/fs.ts";

/** One damaged entry. */
export interface DamagedEntry {
  fingerprint: string;
  /** `pipeline/step` names that refer to it. */
  usedBy: string[];
  /** One line per damaged file. */
  problems: string[];
  /** Name it was moved to under `outputs/.cache/`, or null when someone replaced or removed it meanwhile. */
  setAside: string | null;
}

/** What {@link verifyStore} found. */
export interface VerifyResult {
  checked: number;
  /** Referenced by the pipeline but not in the store (nothing to verify; the next run rebuilds them). */
  missing: string[];
  damaged: DamagedEntry[];
}

/** Verifies every entry, or those `pipeline` refers to; sets damaged ones aside. */
export async function verifyStore(root: string, pipeline: string | null): Promise<VerifyResult> {
  const refs = await storeReferences(root, pipeline ?? undefined);
  let fingerprints: string[];
  if (pipeline !== null) {
    if (refs.size === 0) throw new UserError(`Cannot verify pipeline '${pipeline}': outputs/${pipeline} has no lock file or step links (run it first)`);
    fingerprints = [...refs.keys()];
  } else {
    fingerprints = [];
    if (await exists(storeDir(root))) {
      for await (const e of Deno.readDir(storeDir(root))) if (e.isDirectory && /^[0-9a-f]{64}$/.test(e.name)) fingerprints.push(e.name);
    }
  }
  const result: VerifyResult = { checked: 0, missing: [], damaged: [] };
  for (const fingerprint of fingerprints.sort()) {
    const state = await verifyEntry(root, fingerprint);
    if (state.state === "missing") {
      result.missing.push(fingerprint);
      continue;
    }
    result.checked++;
    if (state.state === "damaged") {
      const setAside = await setAsideEntry(root, fingerprint, state.id);
      result.damaged.push({ fingerprint, usedBy: refs.get(fingerprint) ?? [], problems: state.problems, setAside });
    }
  }
  return result;
}
