/**
 * Planning, phase 3 of 3 — freshness: for each fingerprinted step, look its entry up in the store
 * (the cheap size + mtime check of `store.ts`), apply `--force` / `--restart`, and say in words
 * why a stale step is stale, comparing with the last lock file (`staleness.ts`), and whether
 * another process is producing it right now (`claim.ts`).
 *
 * @example
 * ```ts ignore
 * import { decideFreshness } from "./freshness.ts";
 * import { fingerprintOf, type FingerprintFields } from "./fingerprint.ts";
 * const fields: FingerprintFields = { sources: {}, npm: {}, config: {}, seed: 1, upstream: {}, external: {}, runtime: { deno: "2.9.6" } };
 * const steps = { train: { selected: true, fields, fingerprint: fingerprintOf(fields) } };
 * const fresh = await decideFreshness(Deno.cwd(), steps, ["train"], { force: ["train"] }, null);
 * fresh.train.stale; // true
 * ```
 * @module
 */
import { claimHolder } from "./claim.ts";
import type { FingerprintFields } from "./fingerprint.ts";
import type { LockFile } from "./provenance.ts";
import { fieldChanges } from "./staleness.ts";
import { checkEntry, type Manifest } from "./store.ts";

/** What phase 3 needs of a step. */
export interface FingerprintedStep {
  selected: boolean;
  fields: FingerprintFields;
  fingerprint: string;
}

/** What phase 3 decides for a step. */
export interface Freshness {
  /** The manifest when a fresh store entry exists. */
  manifest: Manifest | null;
  /** When the entry exists but its files no longer match its manifest: one line per file, and the entry's id. */
  damaged: { problems: string[]; id: string | null } | null;
  forced: boolean;
  /** `--restart`: its saved resume state is dropped before it runs (implies forced). */
  restart: boolean;
  /** Will (re)run: selected and (forced or no fresh entry). */
  stale: boolean;
  /** Why it is stale (empty when fresh). */
  reasons: string[];
}

const named = (flag: boolean | string[] | undefined, id: string) => flag === true || (Array.isArray(flag) && flag.includes(id));

/** Phase 3 (see the module doc), for every step of `order`. */
export async function decideFreshness(
  root: string,
  steps: Record<string, FingerprintedStep>,
  order: string[],
  flags: { force?: boolean | string[]; restart?: boolean | string[] },
  previous: LockFile | null,
): Promise<Record<string, Freshness>> {
  const out: Record<string, Freshness> = {};
  for (const id of order) {
    const step = steps[id];
    const entry = await checkEntry(root, step.fingerprint);
    const manifest = entry.state === "fresh" ? entry.manifest : null;
    const damaged = entry.state === "damaged" ? { problems: entry.problems, id: entry.id } : null;
    const restart = step.selected && named(flags.restart, id);
    const forced = restart || (step.selected && named(flags.force, id));
    out[id] = { manifest, damaged, forced, restart, stale: step.selected && (forced || manifest === null), reasons: [] };
  }
  for (const id of order) {
    const f = out[id];
    if (f.restart) f.reasons = ["restarted (saved state dropped)"];
    else if (f.forced) f.reasons = ["forced"];
    else if (f.damaged) f.reasons = [`damaged cached output (${f.damaged.problems.join("; ")})`];
    else if (f.manifest === null) {
      const last = previous?.steps[id];
      const changes = last && last.fingerprint !== steps[id].fingerprint
        ? fieldChanges(last.fields, steps[id].fields, (up) => out[up].manifest === null || out[up].forced)
        : [];
      f.reasons = changes.length > 0 ? changes : [last ? "no cached output" : "never ran (no cached output)"];
    }
    if (f.stale) {
      const holder = await claimHolder(root, steps[id].fingerprint);
      if (holder) f.reasons.push(`being produced now by ${holder} (a run waits for it and uses its output)`);
    }
  }
  return out;
}
