/**
 * Executes a plan: fresh steps are served from the store; stale steps run in child processes,
 * independent ones concurrently up to `jobs`. A failed step skips everything downstream; without
 * `keepGoing` it also aborts running steps and starts nothing new. Outputs are committed to the
 * store only after success (see `store.ts`).
 *
 * @example
 * ```ts ignore
 * import { executePlan } from "./executor.ts";
 * import type { Plan } from "./plan.ts";
 * import type { Reporter } from "./reporter.ts";
 * async function example(plan: Plan, reporter: Reporter, signal: AbortSignal) {
 *   const outcomes = await executePlan(plan, { jobs: 2, poolThreads: 2, keepGoing: false, reporter, signal });
 * }
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { exists, readJson } from "../util/fs.ts";
import type { StepInput } from "../task.ts";
import type { Plan, PlannedStep } from "./plan.ts";
import type { Reporter } from "./reporter.ts";
import { runStepProcess, type StepProcessOptions, type StepProcessResult } from "./step_process.ts";
import type { StepJob, StepProblem } from "./step_protocol.ts";
import type { StepPlace } from "./slurm_executor.ts";
import { toFileUrl } from "./paths.ts";
import { claimEntry, type Claim } from "./claim.ts";
import { checkEntry, commitEntry, createTempDir, entryDir, linkStep, resumeDir, setAsideEntry, unlinkStep, type Manifest } from "./store.ts";
import { taskFile } from "./task_loader.ts";

/** How one selected step ended. */
export interface StepOutcome {
  status: "ran" | "cached" | "failed" | "skipped";
  started: string | null;
  seconds: number | null;
  manifest: Manifest | null;
  metrics: Record<string, unknown> | null;
  /** Why a failed or skipped step has no output (recorded in the lock file with its kind). */
  failure?: StepProblem;
  /** Where the step ran, when not in a local process (`--executor slurm`: job id, node, state). */
  place?: StepPlace;
}


/** Options of {@link executePlan}. */
export interface ExecuteOptions {
  /** Steps running at once. */
  jobs: number;
  /** Threads of each step's worker pool (`--jobs` when given, else the core count). */
  poolThreads: number;
  keepGoing: boolean;
  reporter: Reporter;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Runs one step (default: a local child process; `slurm_executor.ts` submits a job instead). */
  runStep?: (job: StepJob, options: StepProcessOptions) => Promise<StepProcessResult & { place?: StepPlace }>;
}

async function readMetrics(dir: string): Promise<Record<string, unknown> | null> {
  const path = join(dir, "metrics.json");
  if (!(await exists(path))) return null;
  try {
    return await readJson<Record<string, unknown>>(path);
  } catch {
    return null;
  }
}

/** One line describing a finished step: a few metrics, else the last line of its log. */
async function summary(dir: string, metrics: Record<string, unknown> | null): Promise<string> {
  if (metrics && Object.keys(metrics).length > 0) {
    return Object.entries(metrics).slice(0, 5).map(([k, v]) => `${k}=${typeof v === "number" ? +v.toPrecision(4) : v}`).join(" ");
  }
  try {
    const lines = (await Deno.readTextFile(join(dir, "step.log"))).trimEnd().split("\n");
    return (lines.at(-1) ?? "").replace(/^\S+ \S+\s+/, "");
  } catch {
    return "";
  }
}

/** Runs the selected stale steps of `plan`; returns an outcome for every selected step. */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<Record<string, StepOutcome>> {
  const { root, pipeline } = plan;
  const { reporter } = options;
  const outcomes: Record<string, StepOutcome> = {};
  const selected = plan.order.filter((id) => plan.steps[id].selected);
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(options.signal.reason);
  options.signal.addEventListener("abort", onOuterAbort, { once: true });
  let firstFailure: string | null = null;

  for (const id of selected) {
    const step = plan.steps[id];
    if (step.stale) continue;
    await linkStep(root, pipeline.name, id, step.fingerprint);
    const dir = entryDir(root, step.fingerprint);
    const metrics = await readMetrics(dir);
    outcomes[id] = { status: "cached", started: null, seconds: null, manifest: step.manifest, metrics };
    reporter.stepEnd(id, "cached", null, `${step.fingerprint.slice(0, 10)} ${await summary(dir, metrics)}`.trim());
  }

  const pending = new Set(selected.filter((id) => plan.steps[id].stale));
  const running = new Map<string, Promise<void>>();
  const upstreamProblem = (step: PlannedStep): string | null => {
    for (const need of step.spec.needs) {
      const o = outcomes[need];
      if (o && (o.status === "failed" || o.status === "skipped")) return `upstream ${need} ${o.status}`;
      if (!plan.steps[need].selected && plan.steps[need].manifest === null) {
        return `upstream ${need} has no cached output and is not selected to run`;
      }
    }
    return null;
  };
  const isReady = (step: PlannedStep) =>
    step.spec.needs.every((n) => !plan.steps[n].selected || outcomes[n]?.status === "ran" || outcomes[n]?.status === "cached");

  const unlinks: Promise<void>[] = [];
  const skip = (id: string, kind: "upstream" | "stopped" | "interrupted", why: string) => {
    pending.delete(id);
    // A forced step that did not get to run still has a valid entry; keep its link then.
    if (plan.steps[id].manifest === null) unlinks.push(unlinkStep(root, pipeline.name, id));
    outcomes[id] = { status: "skipped", started: null, seconds: null, manifest: null, metrics: null, failure: { kind, message: why } };
    reporter.stepEnd(id, "skipped", null, why);
  };

  const start = (id: string) => {
    pending.delete(id);
    const step = plan.steps[id];
    const promise = runOne(plan, step, options, stop.signal).catch((e): StepOutcome => {
      const message = `Cannot run step ${id}: ${(e as Error)?.message ?? e}`;
      reporter.stepEnd(id, "failed", null, message);
      return { status: "failed", started: null, seconds: null, manifest: null, metrics: null, failure: { kind: "runner", message } };
    }).then((outcome) => {
      outcomes[id] = outcome;
      if (outcome.status === "failed" && firstFailure === null) firstFailure = id;
      if (outcome.status === "failed" && !options.keepGoing) stop.abort(new Error(`step ${id} failed`));
    }).finally(() => running.delete(id));
    running.set(id, promise);
  };

  while (pending.size > 0 || running.size > 0) {
    for (const id of [...pending]) {
      const step = plan.steps[id];
      const problem = upstreamProblem(step);
      if (problem) skip(id, "upstream", problem);
      else if (stop.signal.aborted) {
        if (options.signal.aborted) skip(id, "interrupted", "not run: interrupted");
        else skip(id, "stopped", `not run: step ${firstFailure} failed (use --keep-going to continue other steps)`);
      } else if (isReady(step) && running.size < options.jobs) start(id);
    }
    if (running.size === 0) {
      if (pending.size > 0) for (const id of [...pending]) skip(id, "upstream", "not run: its upstream did not finish");
      break;
    }
    await Promise.race(running.values());
  }
  options.signal.removeEventListener("abort", onOuterAbort);
  await Promise.all(unlinks);
  return outcomes;
}

/** The failed step's log (with the error's stack trace) is kept beside its saved state, as this file. */
const FAILED_LOG = "failed-step.log";

/** Moves a failed step's `step.log` out of its temporary directory into `resume`; the hint naming it, or "". */
async function keepFailedLog(tmp: string, resume: string): Promise<string> {
  try {
    await Deno.copyFile(join(tmp, "step.log"), join(resume, FAILED_LOG));
    return ` (step log with the stack trace: outputs/.cache/${basename(resume)}/${FAILED_LOG})`;
  } catch {
    return ""; // the step died before writing its log
  }
}

/** When a failed step left saved state: where it is, and how to start over instead of resuming. */
async function savedStateHint(resume: string, stepId: string): Promise<string> {
  try {
    for await (const e of Deno.readDir(resume)) {
      if (e.name === FAILED_LOG) continue;
      return ` (its saved state in outputs/.cache/${basename(resume)} stays and the next run resumes from it; --restart=${stepId} drops it and starts over)`;
    }
  } catch {
    // no saved state
  }
  return "";
}

async function runOne(plan: Plan, step: PlannedStep, options: ExecuteOptions, signal: AbortSignal): Promise<StepOutcome> {
  const { root } = plan;
  const { reporter } = options;
  const startedAt = new Date();
  const t0 = performance.now();
  reporter.stepStart(step.id, step.task.name);
  // One producer per entry at a time, across processes and machines (claim.ts).
  let claim: Claim;
  try {
    claim = await claimEntry(root, step.fingerprint, {
      signal,
      onWait: (owner) => reporter.stepLog(step.id, "info", `waiting: ${owner} is producing the same output (outputs/.cache/claim-${step.fingerprint.slice(0, 12)}…)`),
      onBreak: (owner, why) => reporter.stepLog(step.id, "warn", `took over the claim of ${owner}: ${why}`),
    });
  } catch (e) {
    const message = signal.aborted ? "not run: aborted while waiting for another process producing the same output" : `Cannot claim the output of step ${step.id}: ${(e as Error).message}`;
    reporter.stepEnd(step.id, "failed", null, message);
    return { status: "failed", started: null, seconds: null, manifest: null, metrics: null, failure: { kind: signal.aborted ? "aborted" : "store", message } };
  }
  try {
    // The previous owner may have published the entry while this run planned or waited.
    const now = await checkEntry(root, step.fingerprint);
    if (now.state === "fresh" && (!step.forced || now.manifest.id !== step.manifest?.id)) {
      await linkStep(root, plan.pipeline.name, step.id, step.fingerprint);
      const dir = entryDir(root, step.fingerprint);
      const metrics = await readMetrics(dir);
      reporter.stepEnd(step.id, "cached", (performance.now() - t0) / 1000, `stored by another process meanwhile; ${await summary(dir, metrics)}`);
      return { status: "cached", started: startedAt.toISOString(), seconds: (performance.now() - t0) / 1000, manifest: now.manifest, metrics };
    }
    if (now.state === "damaged") {
      const aside = await setAsideEntry(root, step.fingerprint, now.id);
      if (aside) reporter.stepLog(step.id, "warn", `damaged cached output set aside as outputs/.cache/${aside} (${now.problems.join("; ")})`);
    }
    return await produce(plan, step, options, signal, startedAt, t0);
  } finally {
    await claim.release();
  }
}

/** Runs the step in a step process and commits its output (the caller holds the step's claim). */
async function produce(plan: Plan, step: PlannedStep, options: ExecuteOptions, signal: AbortSignal, startedAt: Date, t0: number): Promise<StepOutcome> {
  const { root, pipeline } = plan;
  const { reporter } = options;
  const tmp = await createTempDir(root);
  const resume = resumeDir(root, step.fingerprint);
  if (step.restart) await Deno.remove(resume, { recursive: true }).catch(() => {});
  await Deno.mkdir(resume, { recursive: true });
  const inputs: StepInput[] = step.spec.needs.map((n) => {
    const up = plan.steps[n];
    const input: StepInput = { id: n, task: up.task.name, dir: entryDir(root, up.fingerprint) };
    return up.spec.matrix ? { ...input, group: up.spec.group, matrix: up.spec.matrix } : input;
  });
  const result: StepProcessResult & { place?: StepPlace } = await (options.runStep ?? runStepProcess)({
    root,
    pipeline: pipeline.name,
    stepId: step.id,
    taskName: step.task.name,
    taskUrl: toFileUrl(taskFile(root, step.spec.task)).href,
    config: step.config,
    inputs,
    outDir: tmp,
    resumeDir: resume,
    seed: step.seed,
    backend: step.task.usesTensors ? plan.backend?.name ?? null : null,
    backendError: step.task.usesTensors && !plan.backend ? plan.backendError ?? "no tensor backend resolved" : null,
    poolThreads: options.poolThreads,
  }, {
    signal,
    onMessage(m) {
      if (m.type === "log") reporter.stepLog(step.id, m.level, m.message);
      else if (m.type === "progress") reporter.stepProgress(step.id, m.done, m.total, m.label);
    },
    onStderr(line) {
      if (line.trim()) reporter.stepLog(step.id, "warn", line);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!result.ok) {
    const log = await keepFailedLog(tmp, resume);
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    await unlinkStep(root, pipeline.name, step.id);
    const failure = { ...result.failure, message: result.failure.message + await savedStateHint(resume, step.id) + log };
    reporter.stepEnd(step.id, "failed", seconds, failure.message);
    return { status: "failed", started: startedAt.toISOString(), seconds, manifest: null, metrics: null, failure, place: result.place };
  }
  try {
    // A forced run replaces the entry it planned against, and only that one (see store.ts).
    const { manifest, inserted } = await commitEntry(root, tmp, step.fingerprint, { replaceId: step.forced ? step.manifest?.id ?? null : null });
    if (!inserted) reporter.stepLog(step.id, "info", "another process stored this step's output first; verified it and using it");
    await linkStep(root, pipeline.name, step.id, step.fingerprint);
    await Deno.remove(resume, { recursive: true }).catch(() => {});
    const dir = entryDir(root, step.fingerprint);
    const metrics = await readMetrics(dir);
    reporter.stepEnd(step.id, "ran", seconds, await summary(dir, metrics));
    return { status: "ran", started: startedAt.toISOString(), seconds, manifest, metrics, place: result.place };
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    const message = `Cannot store the output of step ${step.id}: ${(e as Error).message}`;
    reporter.stepEnd(step.id, "failed", seconds, message);
    return { status: "failed", started: startedAt.toISOString(), seconds, manifest: null, metrics: null, failure: { kind: "store", message } };
  }
}
