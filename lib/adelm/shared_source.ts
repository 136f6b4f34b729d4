/**
 * An {@link EnergySource} prepared once for many pool calls: its JSON lives in a
 * `SharedArrayBuffer` (sending it to a worker shares memory instead of copying a ~250 KB string
 * per call) under a short content key, so a worker decides by comparing 64 characters whether
 * the energy it already built is the right one — and two executors over the same source (the
 * search step, then the clustering step) reuse a worker's energy.
 *
 * @example
 * ```ts ignore
 * import { readSharedSource, shareEnergySource } from "./shared_source.ts";
 * const shared = shareEnergySource(source); // main thread, once per executor
 * const again = readSharedSource(shared);   // worker thread, only when its cache misses
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import type { EnergySource } from "./energy_source.ts";

/** A source in shared memory plus its content key. */
export interface SharedEnergySource {
  /** SHA-256 (hex) of the JSON: equal keys mean equal sources. */
  readonly key: string;
  /** UTF-8 JSON of the source. */
  readonly json: SharedArrayBuffer;
}

/** Serialises `source` into shared memory. */
export function shareEnergySource(source: EnergySource): SharedEnergySource {
  const text = JSON.stringify(source);
  const bytes = new TextEncoder().encode(text);
  const json = new SharedArrayBuffer(bytes.length);
  new Uint8Array(json).set(bytes);
  return { key: createHash("sha256").update(bytes).digest("hex"), json };
}

/** The source back from shared memory. */
export function readSharedSource(shared: SharedEnergySource): EnergySource {
  // TextDecoder refuses views of shared memory: decode a private copy
  const text = new TextDecoder().decode(new Uint8Array(shared.json).slice());
  try {
    return JSON.parse(text) as EnergySource;
  } catch (e) {
    throw new Error(`Cannot read the shared energy source ${shared.key.slice(0, 12)}: ${(e as Error).message}`);
  }
}
