/**
 * Why a step is stale, in words: compares its current fingerprint fields with those recorded in
 * the last lock file, e.g. `config field lr_init changed 0.0001 → 0.0002`, `lib/ebm/langevin.ts
 * changed`, `upstream train is stale`, `upstream train re-ran`, `no cached output`.
 *
 * @example
 * ```ts ignore
 * import { fieldChanges } from "./staleness.ts";
 * fieldChanges(previousLockStep.fields, current, (id) => plan[id].stale); // ["config field lr_init changed 0.0001 → 0.0002"]
 * ```
 * @module
 */
import type { FingerprintFields } from "./fingerprint.ts";
import { MATRIX_SEPARATOR } from "./pipeline_file.ts";
import { canonicalJson } from "./hashing.ts";

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 40 ? text.slice(0, 37) + "..." : text;
}

function diffRecords(before: Record<string, string>, after: Record<string, string>, describe: (key: string, was: string | undefined, now: string | undefined) => string): string[] {
  const reasons: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] !== after[key]) reasons.push(describe(key, before[key], after[key]));
  }
  return reasons;
}

/**
 * Differences between the last recorded fields and the current ones. `upstreamIsStale(id)` tells
 * whether an upstream step will re-run now (then "is stale"; otherwise a changed upstream
 * fingerprint means it "re-ran" since).
 */
export function fieldChanges(previous: FingerprintFields, current: FingerprintFields, upstreamIsStale: (id: string) => boolean): string[] {
  const reasons: string[] = [];
  const before = flatten(previous.config ?? {}, "", new Map());
  const after = flatten(current.config, "", new Map());
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key), b = after.get(key);
    if (canonicalJson(a) !== canonicalJson(b)) reasons.push(`config field ${key} changed ${show(a)} → ${show(b)}`);
  }
  if (previous.seed !== current.seed) reasons.push(`seed changed ${previous.seed ?? "(unused)"} → ${current.seed ?? "(unused)"}`);
  reasons.push(...diffRecords(previous.sources ?? {}, current.sources, (path, was, now) =>
    was === undefined ? `${path} is now imported` : now === undefined ? `${path} is no longer imported` : now === "missing" ? `${path} was deleted` : `${path} changed`));
  reasons.push(...diffRecords(previous.npm ?? {}, current.npm, (pkg, was, now) =>
    was === undefined ? `npm package ${pkg}@${now} is now used` : now === undefined ? `npm package ${pkg} is no longer used` : `npm package ${pkg} changed ${was} → ${now}`));
  reasons.push(...diffRecords(previous.external ?? {}, current.external, (path, was, now) =>
    was === undefined ? `external input ${path} added` : now === undefined ? `external input ${path} removed` : `external input ${path} changed`));
  // Variants of one matrix step (`train__seed-1`, …) are told as one: "upstream train (all 4 variants) is stale".
  const groupOf = (id: string) => (id.includes(MATRIX_SEPARATOR) ? id.slice(0, id.indexOf(MATRIX_SEPARATOR)) : null);
  const variants = new Map<string, string[]>();
  for (const id of Object.keys(current.upstream)) {
    const group = groupOf(id);
    if (group !== null) variants.set(group, [...(variants.get(group) ?? []), id]);
  }
  const folded = new Map<string, string[]>();
  for (const id of Object.keys(current.upstream)) {
    const what = upstreamIsStale(id) ? "is stale" : previous.upstream?.[id] !== current.upstream[id] ? "re-ran" : null;
    if (what === null) continue;
    const group = groupOf(id);
    if (group === null) {
      reasons.push(`upstream ${id} ${what}`);
      continue;
    }
    const key = `${group}\u0000${what}`;
    if (!folded.has(key)) {
      folded.set(key, []);
      reasons.push(key);
    }
    folded.get(key)!.push(id);
  }
  for (const [key, ids] of folded) {
    const [group, what] = key.split("\u0000");
    const total = variants.get(group)!.length;
    const text = ids.length === total
      ? `upstream ${group} (${total === 1 ? "its variant" : `all ${total} variants`}) ${what}`
      : ids.length === 1
      ? `upstream ${ids[0]} ${what}`
      : `upstream ${group}: ${ids.length} of ${total} variants (${ids.slice(0, 3).join(", ")}${ids.length > 3 ? ", …" : ""}) ${what === "is stale" ? "are stale" : what}`;
    reasons[reasons.indexOf(key)] = text;
  }
  for (const id of Object.keys(previous.upstream ?? {})) if (!(id in current.upstream)) reasons.push(`no longer needs ${id}`);
  if (previous.runtime?.deno !== current.runtime.deno) reasons.push(`Deno version changed ${previous.runtime?.deno} → ${current.runtime.deno}`);
  if (previous.runtime?.backend !== current.runtime.backend) {
    reasons.push(`tensor backend changed ${previous.runtime?.backend ?? "(none)"} → ${current.runtime.backend ?? "(none)"}`);
  }
  return reasons;
}
