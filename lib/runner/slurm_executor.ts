/**
 * `--executor slurm`: runs a step as a Slurm batch job instead of a local child process. The job
 * runs `step_child.ts --job-file …` in the same checkout (its working directory is the project
 * root), so the checkout and `outputs/` must be on a file system the compute nodes share. The
 * runner writes the job file, submits it (`sbatch`), follows the job's state (`scontrol`), streams
 * the job's output file (the child's log and progress lines) into its own output, and commits the
 * step's output to the store when the job has completed — exactly as for a local step. An aborted
 * run (Ctrl-C, SIGTERM) cancels its jobs (`scancel`). A failed, timed-out or out-of-memory job is
 * reported with Slurm's state and reason. A requeued job (preemption, node failure) starts again and
 * resumes from the step's saved state, which lives in the shared store.
 *
 * Settings (`configs/slurm.yaml`, or `--executor-config FILE`), all optional:
 *
 * ```yaml
 * partition: null          # sbatch --partition (null: the cluster's default)
 * deno: null               # deno on the compute nodes (null: the runner's own executable path)
 * poll_seconds: 2          # how often job states are read
 * extra_args: []           # more sbatch arguments, e.g. [--account=lab, --qos=normal]
 * defaults: { time: "02:00:00", cpus: 1, memory_mb: 2048, gpus: 0 }
 * tasks:                   # per task name, over the defaults
 *   train-ebm: { time: "24:00:00", cpus: 4, memory_mb: 8192, gpus: 1 }
 * ```
 *
 * Job files and Slurm's output files go to `outputs/<pipeline>/.slurm/`.
 *
 * @example
 * ```ts ignore
 * import { loadSlurmSettings, slurmStepRunner } from "./slurm_executor.ts";
 * const settings = await loadSlurmSettings(root, null);
 * const runStep = slurmStepRunner(settings);
 * // executePlan(plan, { …, runStep })
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { z } from "zod";
import { cancelJobs, describeJobEnd, type JobInfo, jobEnded, jobInfo, submitJob } from "../slurm/client.ts";
import { UserError } from "./errors.ts";
import { pipelineOutDir, runnerConfigPath } from "./paths.ts";
import { fromFileUrl } from "./paths.ts";
import type { StepProcessOptions, StepProcessResult } from "./step_process.ts";
import { inheritedPermissionFlags } from "./step_process.ts";
import { parseChildLine, type StepJob } from "./step_protocol.ts";
import { parseYamlSource, locate } from "./yaml_source.ts";

const childEntry = fromFileUrl(new URL("./step_child.ts", import.meta.url));

const resources = z.strictObject({
  /** sbatch --time: minutes or [D-]HH:MM:SS. */
  time: z.union([z.string().regex(/^(\d+-)?\d+(:\d{2}){0,2}$/, "expected minutes or [D-]HH:MM:SS"), z.number().int().positive()]).optional(),
  cpus: z.number().int().positive().optional(),
  memory_mb: z.number().int().positive().optional(),
  gpus: z.number().int().min(0).optional(),
});

const settingsSchema = z.strictObject({
  partition: z.string().nullable().default(null),
  deno: z.string().nullable().default(null),
  poll_seconds: z.number().positive().default(2),
  extra_args: z.array(z.string()).default([]),
  defaults: resources.default({}),
  tasks: z.record(z.string(), resources).default({}),
});

/** Validated executor settings. */
export type SlurmSettings = z.infer<typeof settingsSchema>;

/** The resources of a step of `task`: task entry over defaults over built-in defaults. */
export function stepResources(settings: SlurmSettings, task: string): { time: string | number; cpus: number; memoryMb: number; gpus: number } {
  const r = { ...settings.defaults, ...(settings.tasks[task] ?? {}) };
  return { time: r.time ?? "02:00:00", cpus: r.cpus ?? 1, memoryMb: r.memory_mb ?? 2048, gpus: r.gpus ?? 0 };
}

/** Default settings file, relative to the project root. */
export const DEFAULT_SLURM_CONFIG = "configs/slurm.yaml";

/** Reads the settings (`path`, else `configs/slurm.yaml` when it exists, else built-in defaults). */
export async function loadSlurmSettings(root: string, path: string | null): Promise<SlurmSettings> {
  const rel = path ?? DEFAULT_SLURM_CONFIG;
  let text: string;
  try {
    text = await Deno.readTextFile(resolve(root, rel));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && path === null) return settingsSchema.parse({});
    if (e instanceof Deno.errors.NotFound) throw new UserError(`Cannot read --executor-config ${path}: the file does not exist`);
    throw e;
  }
  const src = parseYamlSource(rel, text);
  const parsed = settingsSchema.safeParse(src.value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keyPath = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
    throw new UserError(`Invalid ${locate(src, keyPath as (string | number)[], issue.code === "unrecognized_keys")}: ${keyPath.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

/** Where a step ran, for the lock file. */
export interface StepPlace {
  executor: "slurm";
  job_id: string;
  node: string;
  state: string;
  reason: string;
  restarts: number;
}

/** A step process result plus where the step ran. */
export type SlurmStepResult = StepProcessResult & { place?: StepPlace };

const quote = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;

/** The batch script of a step (runs the step's child process in the checkout). */
export function jobScript(job: StepJob, jobFile: string, deno: string): string {
  return `#!/bin/bash
# Step ${job.stepId} (task ${job.taskName}) of pipeline ${job.pipeline}; written by the runner's --executor slurm.
cd ${quote(job.root)} || exit 97
exec ${quote(deno)} run --quiet --config ${quote(runnerConfigPath)} ${inheritedPermissionFlags().join(" ")} ${quote(childEntry)} --job-file ${quote(jobFile)}
`;
}

/** Reads what was appended to `path` since `offset`, as whole lines; returns the new offset. */
async function readNewLines(path: string, offset: number, fn: (line: string) => void, flush = false): Promise<number> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return offset;
  }
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await file.read(buf);
      if (n === null || n === 0) break;
      chunks.push(buf.slice(0, n));
    }
    const bytes = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    const lastNl = bytes.lastIndexOf(10);
    const end = flush ? bytes.length : lastNl + 1;
    if (end <= 0) return offset;
    const text = new TextDecoder().decode(bytes.subarray(0, end));
    for (const line of text.split("\n")) if (line.length > 0) fn(line);
    return offset + end;
  } finally {
    file.close();
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * A step runner with {@link runStepProcess}'s contract that runs the step as a Slurm job.
 * `onSubmitted` is told each job id (the CLI prints it; tests use it).
 */
export function slurmStepRunner(settings: SlurmSettings, hooks: { onSubmitted?: (stepId: string, jobId: string) => void } = {}) {
  return async (job: StepJob, options: StepProcessOptions): Promise<SlurmStepResult> => {
    const res = stepResources(settings, job.taskName);
    const dir = join(pipelineOutDir(job.root, job.pipeline), ".slurm");
    await Deno.mkdir(dir, { recursive: true });
    const stamp = `${job.stepId}-${crypto.randomUUID().slice(0, 8)}`;
    const jobFile = join(dir, `${stamp}.job.json`);
    await Deno.writeTextFile(jobFile, JSON.stringify({ ...job, poolThreads: res.cpus }));
    const out = join(dir, `${stamp}.out`), err = join(dir, `${stamp}.err`);
    const jobId = await submitJob({
      script: jobScript(job, jobFile, settings.deno ?? Deno.execPath()),
      name: `${job.pipeline}:${job.stepId}`.slice(0, 120),
      output: out,
      error: err,
      workdir: job.root,
      partition: settings.partition ?? undefined,
      time: res.time,
      cpus: res.cpus,
      memoryMb: res.memoryMb,
      gpus: res.gpus,
      requeue: true,
      extraArgs: ["--open-mode=append", ...settings.extra_args],
    });
    hooks.onSubmitted?.(job.stepId, jobId);
    options.onMessage({ type: "log", level: "info", message: `submitted as Slurm job ${jobId} (${res.cpus} CPU, ${res.memoryMb} MB, time ${res.time}${res.gpus ? `, ${res.gpus} GPU` : ""})` });

    let result: StepProcessResult | null = null;
    const stderrTail: string[] = [];
    let outOffset = 0, errOffset = 0;
    const onOut = (line: string) => {
      const message = parseChildLine(line);
      if (message.type === "result") result = message.ok ? { ok: true } : { ok: false, failure: message.failure };
      else options.onMessage(message);
    };
    const onErr = (line: string) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      options.onStderr?.(line);
    };
    const pump = async (flush = false) => {
      outOffset = await readNewLines(out, outOffset, onOut, flush);
      errOffset = await readNewLines(err, errOffset, onErr, flush);
    };

    let info: JobInfo | null = null;
    let lastKey = "";
    let cancelled = false;
    let restarts = 0;
    let readErrors = 0;
    const pollMs = settings.poll_seconds * 1000;
    for (;;) {
      if (options.signal?.aborted && !cancelled) {
        cancelled = true;
        await cancelJobs([jobId]).catch(() => {});
        options.onMessage({ type: "log", level: "warn", message: `cancelled Slurm job ${jobId} (scancel)` });
      }
      try {
        info = await jobInfo(jobId);
        readErrors = 0;
      } catch (e) {
        // A busy or restarting controller ("Socket timed out") must not fail a running step at once.
        if (++readErrors >= 10) {
          await cancelJobs([jobId]).catch(() => {});
          throw new Error(`Cannot follow Slurm job ${jobId} (cancelled it): ${(e as Error).message}`);
        }
        options.onMessage({ type: "log", level: "warn", message: `${(e as Error).message}; retrying` });
        await sleep(pollMs * readErrors);
        continue;
      }
      if (info && info.restarts > restarts) {
        restarts = info.restarts;
        result = null; // the earlier attempt's result does not count (read before this attempt's lines)
      }
      await pump();
      if (info) {
        const key = `${info.state}|${info.restarts}`;
        if (key !== lastKey) {
          if (info.state === "RUNNING") options.onMessage({ type: "log", level: "info", message: `Slurm job ${jobId} running on ${info.nodes}${info.restarts ? ` (restart ${info.restarts})` : ""}` });
          else if (info.state === "REQUEUED" || (info.restarts > 0 && info.state === "PENDING")) {
            options.onMessage({ type: "log", level: "warn", message: `Slurm job ${jobId} requeued (${info.reason}); it will resume from the step's saved state` });
          }
          lastKey = key;
        }
      }
      if (!info || jobEnded(info)) break;
      await sleep(cancelled ? 500 : pollMs, cancelled ? undefined : options.signal);
    }
    // The output file may trail the job's end on a network file system.
    for (let i = 0; i < 10 && result === null; i++) {
      await pump(true);
      if (result === null) await sleep(300);
    }
    const final = info ?? { id: jobId, state: "UNKNOWN", reason: "the controller no longer knows this job", exitCode: "", nodes: "", timeLimit: "", runTime: "", restarts: 0, memory: "" };
    const place: StepPlace = { executor: "slurm", job_id: jobId, node: final.nodes, state: final.state, reason: final.reason, restarts: final.restarts };
    const got = result as StepProcessResult | null;
    if (final.state === "COMPLETED" && got?.ok) return { ok: true, place };
    // The step's own failure, unless Slurm ended the job (time limit, memory, cancel, preemption, node).
    if (got && !got.ok && (final.state === "FAILED" || final.state === "COMPLETED")) {
      return { ok: false, failure: { ...got.failure, message: `${got.failure.message} (Slurm job ${jobId} ${final.state}${final.nodes ? ` on ${final.nodes}` : ""})` }, place };
    }
    const slurmLines = stderrTail.filter((l) => /slurmstepd|CANCELLED|memory|TIME LIMIT|error/i.test(l)).slice(-3).join(" | ");
    const tail = slurmLines || stderrTail.filter((l) => l.trim()).slice(-3).join(" | ");
    // Ended without the step's own result: timed out, out of memory, cancelled, node failure, crash.
    const kind = cancelled ? "aborted" : "crashed";
    return { ok: false, failure: { kind, message: `${describeJobEnd(final)}${tail ? `: ${tail}` : ""}` }, place };
  };
}
