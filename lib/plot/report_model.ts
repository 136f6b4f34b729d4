/**
 * What the run report shows, gathered from disk: one {@link StepReport} per pipeline step.
 * Two sources, so the report can show the *current* run although the runner writes the lock
 * only after the last step (the report step itself) has finished:
 *
 * - {@link stepsFromInputs} (used by `tasks/report.ts`): the report step's upstream output
 *   directories (`ctx.inputs`). Each store entry has `manifest.json` (fingerprint, commit time),
 *   `metrics.json`, `step.log` (ISO-timestamped lines) and its figures. Status and config come
 *   from the previous lock (`outputs/<pipeline>/pipeline.lock.json`) when it recorded the same
 *   fingerprint and the entry was committed before that run finished ("cached"); otherwise the
 *   step ran in this run ("ran"), its time is the span of its `step.log` timestamps and its
 *   config is read from a `config.json` in its output if the task wrote one.
 * - {@link stepsFromLock} (used by `lib/plot/report_cli.ts`, meant to run after the runner has
 *   written the lock): everything exact from the lock, figures from each step's `output`.
 *
 * @example
 * ```ts
 * import { stepsFromLock } from "./report_model.ts";
 * import { readJson } from "../util/fs.ts";
 * const lock = await readJson("outputs/demo/pipeline.lock.json");
 * const steps = await stepsFromLock(lock as never, Deno.cwd(), "outputs/demo");
 * ```
 * @module
 */
import { join, relative } from "node:path";
import type { StepInput } from "../task.ts";
import { exists, readJson } from "../util/fs.ts";

/** The lock-file fields the report reads (shape documented in `lib/runner/provenance.ts`). */
export interface ReportLock {
  version: number;
  pipeline: string;
  profile: string | null;
  started: string;
  finished: string;
  runtime?: { deno?: string; backend?: string | null; backendNote?: string | null };
  steps: Record<string, {
    task: string;
    status: string;
    fingerprint: string;
    fields?: { config?: unknown; seed?: unknown };
    started?: string | null;
    seconds?: number | null;
    output?: string | null;
    files?: string[];
    metrics?: Record<string, unknown> | null;
    /** Recipe fields the run's profile changes, with why (only where it changes any). */
    recipe_changes?: Record<string, string>;
    /** Version 1. */
    error?: string;
    /** Version 2: why a failed or skipped step has no output. */
    failure?: { kind: string; message: string };
  }>;
}

/** One step as the report shows it. */
export interface StepReport {
  id: string;
  task: string;
  status: "ran" | "cached" | "failed" | "skipped" | "unknown";
  /** How the status was decided, shown next to it. */
  statusNote?: string;
  seconds: number | null;
  fingerprint: string | null;
  config: unknown;
  seed: unknown;
  metrics: Record<string, unknown> | null;
  /** Files of the step's output, relative to `dir`. */
  files: string[];
  /** Absolute output directory (null when the step has no output). */
  dir: string | null;
  /** URL prefix (relative to the report's directory) of the step's files, ending in `/`. */
  linkBase: string | null;
  error?: string;
  logTail: string[];
  /** Recipe fields the run's profile changes for this step, with why (from the lock). */
  recipeChanges?: Record<string, string>;
}

/** Files under `dir` (relative paths, sorted), skipping the store's own `manifest.json`. */
export async function listOutputFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (sub: string) => {
    for await (const entry of Deno.readDir(join(dir, sub))) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(rel);
      else if (rel !== "manifest.json") files.push(rel);
    }
  };
  await walk("");
  return files.sort();
}

async function readOptionalJson<T>(path: string): Promise<T | null> {
  return (await exists(path)) ? await readJson<T>(path) : null;
}

/** Last `count` lines of `step.log` and the seconds between its first and last timestamps. */
export async function readStepLog(dir: string, count = 12): Promise<{ tail: string[]; seconds: number | null }> {
  const path = join(dir, "step.log");
  if (!(await exists(path))) return { tail: [], seconds: null };
  const lines = (await Deno.readTextFile(path)).split("\n").filter((l) => l.trim() !== "");
  const stamp = (line: string | undefined) => {
    const match = line?.match(/^(\d{4}-\d\d-\d\dT[\d:.]+Z)\s/);
    return match ? Date.parse(match[1]) : NaN;
  };
  const first = stamp(lines[0]), last = stamp(lines[lines.length - 1]);
  return { tail: lines.slice(-count), seconds: Number.isFinite(first) && Number.isFinite(last) && lines.length > 1 ? (last - first) / 1000 : null };
}

function linkBaseFor(reportDir: string, target: string): string {
  const rel = relative(reportDir, target).split("\\").join("/");
  return rel === "" ? "" : `${rel}/`;
}

/**
 * Steps of the current run from the report step's inputs (see the module doc). `reportDir` is
 * where the HTML will live; with `pipeline` known, links go through the stable
 * `outputs/<pipeline>/<step>` symlinks under `root`.
 */
export async function stepsFromInputs(inputs: StepInput[], previous: ReportLock | null, options: { root: string; reportDir: string; pipeline: string | null }): Promise<StepReport[]> {
  const steps: StepReport[] = [];
  for (const input of inputs) {
    const manifest = await readOptionalJson<{ fingerprint?: string; created?: string }>(join(input.dir, "manifest.json"));
    const metrics = await readOptionalJson<Record<string, unknown>>(join(input.dir, "metrics.json"));
    const log = await readStepLog(input.dir);
    const locked = previous?.steps[input.id];
    const fingerprint = manifest?.fingerprint ?? null;
    const sameAsLock = locked !== undefined && fingerprint !== null && locked.fingerprint === fingerprint;
    const committedBefore = sameAsLock && manifest?.created !== undefined && Date.parse(manifest.created) <= Date.parse(previous!.finished);
    const ownConfig = await readOptionalJson<unknown>(join(input.dir, "config.json"));
    const linkTarget = options.pipeline ? join(options.root, "outputs", options.pipeline, input.id) : input.dir;
    steps.push({
      id: input.id,
      task: input.task,
      status: committedBefore ? "cached" : "ran",
      statusNote: committedBefore ? `output from the run of ${previous!.started}` : fingerprint ? "output committed during this run" : "no store manifest found",
      seconds: committedBefore ? locked!.seconds ?? log.seconds : log.seconds,
      fingerprint,
      config: sameAsLock ? locked!.fields?.config ?? ownConfig : ownConfig,
      seed: sameAsLock ? locked!.fields?.seed ?? null : null,
      metrics,
      files: await listOutputFiles(input.dir),
      dir: input.dir,
      linkBase: linkBaseFor(options.reportDir, linkTarget),
      logTail: log.tail,
      ...(sameAsLock && locked!.recipe_changes ? { recipeChanges: locked!.recipe_changes } : {}),
    });
  }
  return steps;
}

/** Steps exactly as recorded in a lock file; outputs are read from `root`. */
export async function stepsFromLock(lock: ReportLock, root: string, reportDir: string): Promise<StepReport[]> {
  const steps: StepReport[] = [];
  for (const [id, s] of Object.entries(lock.steps)) {
    const dir = s.output ? join(root, s.output) : null;
    const present = dir !== null && (await exists(dir));
    const log = present ? await readStepLog(dir!) : { tail: [], seconds: null };
    const status = (["ran", "cached", "failed", "skipped"] as const).find((v) => v === s.status) ?? "unknown";
    const linkTarget = join(root, "outputs", lock.pipeline, id);
    steps.push({
      id,
      task: s.task,
      status,
      seconds: s.seconds ?? null,
      fingerprint: s.fingerprint ?? null,
      config: s.fields?.config ?? null,
      seed: s.fields?.seed ?? null,
      metrics: s.metrics ?? null,
      files: present ? await listOutputFiles(dir!) : (s.files ?? []),
      dir: present ? dir : null,
      linkBase: present ? linkBaseFor(reportDir, (await exists(linkTarget)) ? linkTarget : dir!) : null,
      error: s.failure ? `${s.failure.kind}: ${s.failure.message}` : s.error,
      logTail: log.tail,
      ...(s.recipe_changes ? { recipeChanges: s.recipe_changes } : {}),
    });
  }
  return steps;
}
