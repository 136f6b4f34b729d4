/**
 * A step's fingerprint: sha256 over the canonical JSON of these fields. Every field is something
 * that can change the step's output; nothing else is included, so unrelated edits never cause a
 * re-run.
 *
 * - `sources`: path → sha256 of the task module and every local module it reaches, transitively
 *   (static and dynamic imports, re-exports, `new URL("./w.ts", import.meta.url)` worker files),
 *   parsed from the code. Why: editing code a task runs must re-run it; editing code it does not
 *   reach must not. Type-only imports count too (conservative: the runner does not type-check),
 *   and so do data files referenced as `new URL("./file", import.meta.url)`. A task with
 *   `usesTensors` also gets the closure of `lib/tensor/backend.ts` (kernels, backend setup): the
 *   runner loads that code for it, and a kernel change can change its numbers.
 * - `npm`: package → version of the npm packages those modules import, plus their transitive
 *   dependencies as pinned in deno.lock. Why: a library upgrade can change numbers.
 * - `config`: the effective config after defaults and overlays (canonical JSON, sorted keys).
 *   Why: the config is the step's main input.
 * - `seed`: the step's seed, or null for a task declared `usesSeed: false`. Why: results are a
 *   function of the seed; a task that uses none (data loading, plots) must not re-run, nor keep
 *   one cached copy per pipeline seed, when only the seed differs.
 * - `upstream`: step id → fingerprint of each step in `needs`. Why: the step reads those outputs;
 *   an upstream fingerprint names its output content (outputs are cached by fingerprint).
 * - `external`: path → content sha256 of the task's `externalInputs(config)` (datasets). Why: a
 *   changed dataset changes results; hashed once, then trusted by path + size + mtime.
 * - `runtime`: the Deno version (V8 and its math library can change floating point results) and,
 *   for tasks with `usesTensors`, the tensor backend name (kernels differ between backends). Other
 *   tasks leave the backend out so switching backends never redoes, e.g., a data download.
 *
 * @example
 * ```ts
 * import { fingerprintOf, type FingerprintFields } from "./fingerprint.ts";
 * const fields: FingerprintFields = { sources: {}, npm: {}, config: { n: 1 }, seed: 0, upstream: {}, external: {}, runtime: { deno: "2.9.6" } };
 * const fp = fingerprintOf(fields); // 64 hex characters
 * ```
 * @module
 */
import { canonicalJson, sha256Hex } from "./hashing.ts";

/** The inputs of a step that decide its output (see the module doc for why each is here). */
export interface FingerprintFields {
  sources: Record<string, string>;
  npm: Record<string, string>;
  config: Record<string, unknown>;
  seed: number | null;
  upstream: Record<string, string>;
  external: Record<string, string>;
  runtime: { deno: string; backend?: string };
}

/** Bumped when the meaning of the fields changes, so old store entries stop matching. */
export const FINGERPRINT_VERSION = 1;

/** sha256 hex of the canonical JSON of the fields (plus the format version). */
export function fingerprintOf(fields: FingerprintFields): string {
  return sha256Hex(canonicalJson({ v: FINGERPRINT_VERSION, ...fields }));
}
