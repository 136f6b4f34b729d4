/**
 * The per-pipeline lock / provenance file `outputs/<pipeline>/pipeline.lock.json`, written
 * atomically at the end of every run (also a failed one). The report and `deno task status`
 * read it. Shape (version 2; version 1 had `"error": "message"` instead of `failure`):
 *
 * ```json
 * { "version": 2, "pipeline": "demo", "profile": null,
 *   "started": "2026-01-01T10:00:00.000Z", "finished": "2026-01-01T10:00:03.000Z",
 *   "runtime": { "deno": "2.9.6", "backend": "wasm", "backendNote": "why auto chose it" },
 *   "steps": {
 *     "<step id>": {
 *       "task": "demo-stats",
 *       "status": "ran | cached | failed | skipped",
 *       "fingerprint": "<64 hex>",
 *       "fields": { "sources": {}, "npm": {}, "config": {}, "seed": 0, "upstream": {}, "external": {}, "runtime": {} },
 *       "started": "ISO or null when it did not run",
 *       "seconds": 1.2,
 *       "output": "outputs/.cache/<fingerprint>  (null unless ran/cached)",
 *       "files": ["metrics.json", "step.log"],
 *       "metrics": { "...": "the step's metrics.json, when it wrote one" },
 *       "recipe_changes": { "lr_init": "why the profile changes it (only when it does)" },
 *       "failure": { "kind": "task", "message": "(failed/skipped only)" },
 *       "place": { "executor": "slurm", "job_id": "42", "node": "n1", "state": "COMPLETED", "reason": "None", "restarts": 0 }
 *     } } }
 * ```
 * `runtime.backend` is null when no step of the run uses tensors. Steps outside a `--only` /
 * `--until` selection keep their entry from the previous lock. `failure.kind` of a failed step
 * says where it failed (`load`, `backend`, `task`, `aborted`, `crashed`, `store`, `runner`; see
 * `step_protocol.ts`), of a skipped step why it did not run (`upstream`, `stopped`,
 * `interrupted`). {@link buildLockFile} assembles the file from a plan and the run's outcomes.
 *
 * @example
 * ```ts
 * import { buildLockFile, readLockFile, writeLockFile, type LockOutcome, type LockPlan } from "./provenance.ts";
 * async function example(plan: LockPlan, outcomes: Record<string, LockOutcome>, started: Date) {
 *   const root = Deno.cwd();
 *   const previous = await readLockFile(root, "demo"); // null before the first run
 *   await writeLockFile(root, buildLockFile(plan, outcomes, started));
 * }
 * ```
 * @module
 */
import { join } from "node:path";
import type { FingerprintFields } from "./fingerprint.ts";
import type { StepProblem } from "./step_protocol.ts";
import type { StepPlace } from "./slurm_executor.ts";
import { pipelineOutDir } from "./paths.ts";
import { readJson, writeJsonAtomic, exists } from "../util/fs.ts";

/** Version of the lock file format. */
export const LOCK_VERSION = 2;

/** One step's record in the lock file. */
export interface LockStep {
  task: string;
  status: "ran" | "cached" | "failed" | "skipped";
  fingerprint: string;
  fields: FingerprintFields;
  started: string | null;
  seconds: number | null;
  output: string | null;
  files: string[];
  metrics: Record<string, unknown> | null;
  /** Recipe fields the run's profile changes for this step, with why (`recipe_changes` in the pipeline file). */
  recipe_changes?: Record<string, string>;
  /** Why a failed or skipped step has no output. */
  failure?: StepProblem;
  /** Where it ran when not in a local process: `{ executor: "slurm", job_id, node, state, reason, restarts }`. */
  place?: StepPlace;
}

/** The whole lock file. */
export interface LockFile {
  version: number;
  pipeline: string;
  profile: string | null;
  started: string;
  finished: string;
  runtime: { deno: string; backend: string | null; backendNote: string | null };
  steps: Record<string, LockStep>;
}

/** Path of the lock file of `pipeline`. */
export function lockFilePath(root: string, pipeline: string): string {
  return join(pipelineOutDir(root, pipeline), "pipeline.lock.json");
}

/** The last lock of `pipeline`, or null when there is none (or it has another version). */
export async function readLockFile(root: string, pipeline: string): Promise<LockFile | null> {
  const path = lockFilePath(root, pipeline);
  if (!(await exists(path))) return null;
  try {
    const lock = await readJson<LockFile>(path);
    return lock.version === LOCK_VERSION ? lock : null;
  } catch {
    return null;
  }
}

/** Writes the lock atomically. */
export async function writeLockFile(root: string, lock: LockFile): Promise<void> {
  await writeJsonAtomic(lockFilePath(root, lock.pipeline), lock);
}

/** What {@link buildLockFile} reads of a plan (a `Plan` of `plan.ts` is one). */
export interface LockPlan {
  pipeline: { name: string; recipeChanges?: Record<string, Record<string, Record<string, string>>> };
  profile: string | null;
  order: string[];
  steps: Record<string, { task: { name: string; usesTensors: boolean }; fingerprint: string; fields: FingerprintFields }>;
  previous: LockFile | null;
  backend: { name: string; note: string } | null;
  backendError: string | null;
}

/** What {@link buildLockFile} reads of a step's outcome (a `StepOutcome` of `executor.ts` is one). */
export interface LockOutcome {
  status: LockStep["status"];
  started: string | null;
  seconds: number | null;
  manifest: { files: Record<string, unknown> } | null;
  metrics: Record<string, unknown> | null;
  failure?: StepProblem;
  place?: StepPlace;
}

/** The lock file of a finished run: per step its fields, status, timings, metrics and failure. */
export function buildLockFile(plan: LockPlan, outcomes: Record<string, LockOutcome>, started: Date): LockFile {
  const steps: Record<string, LockStep> = {};
  for (const id of plan.order) {
    const s = plan.steps[id], o = outcomes[id];
    if (!o) {
      const kept = plan.previous?.steps[id];
      if (kept) steps[id] = kept;
      continue;
    }
    const stored = o.status === "ran" || o.status === "cached";
    const entry: LockStep = {
      task: s.task.name, status: o.status, fingerprint: s.fingerprint, fields: s.fields, started: o.started, seconds: o.seconds,
      output: stored ? `outputs/.cache/${s.fingerprint}` : null,
      files: stored && o.manifest ? Object.keys(o.manifest.files).sort() : [],
      metrics: o.metrics,
    };
    // A matrix variant (`train__seed-1`) carries the changes declared for its step (`train`).
    const changes = plan.profile ? plan.pipeline.recipeChanges?.[plan.profile]?.[id] ?? plan.pipeline.recipeChanges?.[plan.profile]?.[id.split("__")[0]] : undefined;
    if (changes && Object.keys(changes).length) entry.recipe_changes = changes;
    if (o.failure) entry.failure = o.failure;
    if (o.place) entry.place = o.place;
    steps[id] = entry;
  }
  const usesTensors = plan.order.some((id) => plan.steps[id].task.usesTensors);
  return {
    version: LOCK_VERSION, pipeline: plan.pipeline.name, profile: plan.profile, started: started.toISOString(), finished: new Date().toISOString(),
    runtime: { deno: Deno.version.deno, backend: usesTensors ? plan.backend?.name ?? null : null, backendNote: usesTensors ? plan.backend?.note ?? plan.backendError : null },
    steps,
  };
}
