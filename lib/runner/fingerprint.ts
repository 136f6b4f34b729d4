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
 * Planning, phase 2 of 3 — fingerprint: {@link assembleFields} builds these fields for one step
 * from what phase 1 (`plan_resolve.ts`) resolved; `plan.ts` calls it in dependency order, so
 * every upstream fingerprint is known, and phase 3 (`freshness.ts`) looks them up in the store.
 *
 * @example
 * ```ts
 * import { assembleFields, fingerprintOf } from "./fingerprint.ts";
 * const fields = assembleFields({
 *   code: { sources: { "tasks/t.ts": "ab12" }, npm: {} }, backendCode: null, usesTensors: false, backend: null,
 *   config: { n: 1 }, seed: 0, upstream: {}, external: {},
 * });
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

/** Path → sha256 of local modules, and package → version of npm packages, that some code reaches. */
export interface CodeClosure {
  sources: Record<string, string>;
  npm: Record<string, string>;
}

/** What {@link assembleFields} needs of one step. */
export interface FieldInputs {
  /** The task module's closure. */
  code: CodeClosure;
  /** The tensor backend's closure (joins `code` for tensor tasks), or null when no step uses tensors. */
  backendCode: CodeClosure | null;
  usesTensors: boolean;
  /** The resolved backend's name, or null when it could not be resolved (then `backendError`). */
  backend: string | null;
  backendError?: string | null;
  config: Record<string, unknown>;
  seed: number | null;
  /** Step id → fingerprint of each step in `needs`. */
  upstream: Record<string, string>;
  /** Path → content sha256 of each external input. */
  external: Record<string, string>;
}

/** The fingerprint fields of one step (see the module doc for why each is there). */
export function assembleFields(input: FieldInputs): FingerprintFields {
  const runtime: FingerprintFields["runtime"] = { deno: Deno.version.deno };
  if (input.usesTensors) runtime.backend = input.backend ?? `unresolved (${input.backendError ?? "no backend"})`;
  const code = input.usesTensors && input.backendCode
    ? { sources: sortedUnion(input.code.sources, input.backendCode.sources), npm: sortedUnion(input.code.npm, input.backendCode.npm) }
    : { sources: input.code.sources, npm: input.code.npm };
  return { ...code, config: input.config, seed: input.seed, upstream: input.upstream, external: input.external, runtime };
}

/** Two name → version/hash records as one, keys sorted (canonical order for display). */
function sortedUnion(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = { ...a, ...b };
  return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
}

/** Bumped when the meaning of the fields changes, so old store entries stop matching. */
export const FINGERPRINT_VERSION = 1;

/** sha256 hex of the canonical JSON of the fields (plus the format version). */
export function fingerprintOf(fields: FingerprintFields): string {
  return sha256Hex(canonicalJson({ v: FINGERPRINT_VERSION, ...fields }));
}
