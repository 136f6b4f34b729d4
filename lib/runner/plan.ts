/**
 * Planning a run, in three phases: resolve (`plan_resolve.ts`: pipeline file, tasks, configs,
 * seeds, backend, profile) → fingerprint (`fingerprint.ts`: each step's fields and hash, in
 * dependency order, external inputs hashed here) → freshness (`freshness.ts`: store check,
 * `--force`/`--restart`, reasons). `pipeline --dry-run`, `status` and the executor all start
 * from a plan; nothing is written except caches (task facts, imports, external-input stats) and
 * manifest upgrades (`store.ts`).
 *
 * @example
 * ```ts
 * import { makePlan } from "./plan.ts";
 * const plan = await makePlan({ root: Deno.cwd(), pipeline: "demo", profile: null, sets: [] });
 * for (const id of plan.order) console.log(id, plan.steps[id].stale, plan.steps[id].reasons);
 * ```
 * @module
 */
import { UserError } from "./errors.ts";
import { ExternalHasher } from "./external_inputs.ts";
import { assembleFields, fingerprintOf, type FingerprintFields } from "./fingerprint.ts";
import { decideFreshness, type Freshness } from "./freshness.ts";
import { type PlanOptions, type ResolvedRun, type ResolvedStep, resolveRun } from "./plan_resolve.ts";
import { readLockFile, type LockFile } from "./provenance.ts";
import { locate } from "./yaml_source.ts";

export type { PlanOptions } from "./plan_resolve.ts";

/** One planned step: resolved (phase 1), fingerprinted (phase 2), judged (phase 3). */
export interface PlannedStep extends ResolvedStep, Freshness {
  fields: FingerprintFields;
  fingerprint: string;
}

/** A planned run. */
export interface Plan extends Omit<ResolvedRun, "steps" | "backendCode" | "flags"> {
  steps: Record<string, PlannedStep>;
  previous: LockFile | null;
}

/** Plans a run (see the module doc). Throws {@link UserError} for anything wrong in the inputs. */
export async function makePlan(options: PlanOptions): Promise<Plan> {
  const resolved = await resolveRun(options);
  const fingerprinted = await fingerprintRun(resolved);
  const previous = await readLockFile(resolved.root, resolved.pipeline.name);
  const freshness = await decideFreshness(resolved.root, fingerprinted, resolved.order, resolved.flags, previous);
  const steps: Record<string, PlannedStep> = {};
  for (const id of resolved.order) steps[id] = { ...fingerprinted[id], ...freshness[id] };
  const { backendCode: _, steps: __, flags: ___, ...run } = resolved;
  return { ...run, steps, previous };
}

/** Phase 2: fields and fingerprint of every step, upstream first; external inputs are hashed here. */
async function fingerprintRun(run: ResolvedRun): Promise<Record<string, ResolvedStep & { fields: FingerprintFields; fingerprint: string }>> {
  const hasher = await ExternalHasher.open(run.root);
  const out: Record<string, ResolvedStep & { fields: FingerprintFields; fingerprint: string }> = {};
  for (const id of run.order) {
    const step = run.steps[id];
    const external: Record<string, string> = {};
    for (const path of step.externalPaths) {
      try {
        external[path] = await hasher.hash(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw new UserError(`Invalid ${locate(run.pipeline.source, ["steps", step.spec.group])}: steps.${id}: external input '${path}' of task '${step.task.name}' does not exist`);
        }
        throw e;
      }
    }
    const fields = assembleFields({
      code: step.code,
      backendCode: run.backendCode,
      usesTensors: step.task.usesTensors,
      backend: run.backend?.name ?? null,
      backendError: run.backendError,
      config: step.config,
      seed: step.seed,
      upstream: Object.fromEntries(step.spec.needs.map((n) => [n, out[n].fingerprint])),
      external,
    });
    out[id] = { ...step, fields, fingerprint: fingerprintOf(fields) };
  }
  await hasher.save();
  return out;
}
