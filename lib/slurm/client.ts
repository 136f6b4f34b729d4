/**
 * A thin client of Slurm's command-line tools: submit a batch script (`sbatch --parsable`), read
 * a job's state and reason (`scontrol show job -o`, falling back to `squeue` when the controller
 * has forgotten the job's details), wait for it, and cancel it (`scancel`). No accounting
 * database is needed. Commands find the cluster the usual way (`/etc/slurm/slurm.conf` or
 * `SLURM_CONF`).
 *
 * @example
 * ```ts
 * import { cancelJobs, describeJobEnd, submitJob, waitForJob } from "./client.ts";
 * const id = await submitJob({ script: "#!/bin/sh\necho hi\n", name: "hello", output: "/tmp/hello-%j.out" });
 * const info = await waitForJob(id, { pollMs: 500 });
 * if (info.state !== "COMPLETED") console.error(describeJobEnd(info));
 * await cancelJobs([]); // nothing to cancel
 * ```
 * @module
 */

/** What to submit. */
export interface JobRequest {
  /** The batch script (starts with `#!`). */
  script: string;
  name: string;
  /** `--output` path (`%j` = job id); stderr goes to the same file unless `error` is given. */
  output: string;
  error?: string;
  /** Working directory of the job. */
  workdir?: string;
  partition?: string;
  /** `--time`: minutes, or Slurm's `[D-]HH:MM:SS`. */
  time?: string | number;
  cpus?: number;
  /** `--mem` in MiB. */
  memoryMb?: number;
  /** `--gres=gpu:N` when > 0. */
  gpus?: number;
  /** `--requeue`: may be requeued (preemption, node failure) and run again from the start. */
  requeue?: boolean;
  /** Extra sbatch arguments (e.g. `--account=lab`). */
  extraArgs?: string[];
}

/** States in which a job will still run or is running. */
export const ACTIVE_STATES = new Set([
  "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD",
  "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT", "POWER_UP_NODE", "UPDATE_DB",
]);

/** A job's state as Slurm reports it. */
export interface JobInfo {
  id: string;
  /** `COMPLETED`, `FAILED`, `TIMEOUT`, `OUT_OF_MEMORY`, `CANCELLED`, `PREEMPTED`, `NODE_FAIL`, `RUNNING`, … */
  state: string;
  /** Slurm's reason (`None`, `NonZeroExitCode`, `TimeLimit`, `Resources`, …). */
  reason: string;
  /** `code:signal`, e.g. `1:0`. */
  exitCode: string;
  /** Node(s) it ran on (empty while pending). */
  nodes: string;
  timeLimit: string;
  runTime: string;
  /** How many times Slurm restarted it (requeue, preemption). */
  restarts: number;
  /** Memory requested, as Slurm prints it (`MinMemoryNode` / `mem=` in TRES). */
  memory: string;
}

/** A failure to talk to Slurm (command missing, non-zero exit). */
export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlurmError";
  }
}

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function slurm(cmd: string, args: string[], stdin?: string): Promise<Output> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, { args, stdin: stdin === undefined ? "null" : "piped", stdout: "piped", stderr: "piped" }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SlurmError(`Cannot run ${cmd}: not installed (Debian: apt-get install slurm-client; or run on a cluster login node)`);
    }
    throw e;
  }
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The `sbatch` arguments for a request (the script goes on stdin). */
export function sbatchArgs(req: JobRequest): string[] {
  const args = ["--parsable", `--job-name=${req.name}`, `--output=${req.output}`];
  if (req.error) args.push(`--error=${req.error}`);
  if (req.workdir) args.push(`--chdir=${req.workdir}`);
  if (req.partition) args.push(`--partition=${req.partition}`);
  if (req.time !== undefined) args.push(`--time=${req.time}`);
  if (req.cpus !== undefined) args.push(`--cpus-per-task=${req.cpus}`);
  if (req.memoryMb !== undefined) args.push(`--mem=${req.memoryMb}M`);
  if (req.gpus) args.push(`--gres=gpu:${req.gpus}`);
  args.push(req.requeue ? "--requeue" : "--no-requeue");
  args.push(...(req.extraArgs ?? []));
  return args;
}

/** Submits a batch job; resolves with its id. */
export async function submitJob(req: JobRequest): Promise<string> {
  const out = await slurm("sbatch", sbatchArgs(req), req.script);
  if (out.code !== 0) throw new SlurmError(`Cannot submit job '${req.name}': sbatch exited ${out.code}: ${out.stderr.trim() || out.stdout.trim()}`);
  // --parsable prints "<id>" or "<id>;<cluster>"
  const id = out.stdout.trim().split(";")[0];
  if (!/^\d+$/.test(id)) throw new SlurmError(`Cannot submit job '${req.name}': sbatch printed '${out.stdout.trim()}', expected a job id`);
  return id;
}

/** Parses one line of `scontrol show job -o` into key → value. */
export function parseScontrolLine(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  // Values may contain spaces only in a few fields (Command, WorkDir with spaces); split on " Key=".
  const re = /(?:^|\s)([A-Za-z:_\/]+)=/g;
  const marks: { key: string; start: number; valueStart: number }[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) marks.push({ key: m[1], start: m.index, valueStart: re.lastIndex });
  marks.forEach((mark, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].start : line.length;
    fields[mark.key] = line.slice(mark.valueStart, end).trim();
  });
  return fields;
}

/** A job's info from `scontrol show job -o` fields. */
export function jobInfoFromFields(id: string, f: Record<string, string>): JobInfo {
  const nodes = f.NodeList && f.NodeList !== "(null)" ? f.NodeList : f.BatchHost ?? "";
  const memory = /mem=([^,\s]+)/.exec(f.TRES ?? f.ReqTRES ?? "")?.[1] ?? f.MinMemoryNode ?? "";
  return {
    id,
    state: (f.JobState ?? "UNKNOWN").split(/[+\s]/)[0],
    reason: f.Reason ?? "None",
    exitCode: f.ExitCode ?? "",
    nodes: nodes === "(null)" ? "" : nodes,
    timeLimit: f.TimeLimit ?? "",
    runTime: f.RunTime ?? "",
    restarts: Number(f.Restarts ?? 0) || 0,
    memory,
  };
}

/** A job's current info, or null when Slurm no longer knows the job (purged after MinJobAge). */
export async function jobInfo(id: string): Promise<JobInfo | null> {
  const out = await slurm("scontrol", ["show", "job", "-o", id]);
  if (out.code === 0 && out.stdout.trim()) return jobInfoFromFields(id, parseScontrolLine(out.stdout.trim().split("\n")[0]));
  if (/Invalid job id/i.test(out.stderr)) {
    const q = await slurm("squeue", ["-h", "-j", id, "-o", "%T|%r|%N|%l|%M"]);
    const line = q.code === 0 ? q.stdout.trim() : "";
    if (!line) return null;
    const [state, reason, nodes, timeLimit, runTime] = line.split("|");
    return { id, state, reason, exitCode: "", nodes, timeLimit, runTime, restarts: 0, memory: "" };
  }
  throw new SlurmError(`Cannot read the state of job ${id}: scontrol exited ${out.code}: ${out.stderr.trim()}`);
}

/** True when the job has ended (any state not in {@link ACTIVE_STATES}). */
export function jobEnded(info: JobInfo): boolean {
  return !ACTIVE_STATES.has(info.state);
}

/**
 * One sentence for how a job ended, in the runner's voice, with Slurm's own state and reason:
 * "Slurm job 12 TIMEOUT on vm: reached its time limit of 00:01:00 (reason TimeLimit)".
 */
export function describeJobEnd(info: JobInfo): string {
  const where = info.nodes ? ` on ${info.nodes}` : "";
  const head = `Slurm job ${info.id} ${info.state}${where}`;
  const reason = info.reason && info.reason !== "None" ? ` (reason ${info.reason})` : "";
  const exit = info.exitCode ? `, exit code ${info.exitCode}` : "";
  switch (info.state) {
    case "COMPLETED": return `${head}: completed${exit}`;
    case "FAILED": return `${head}: the job's script failed${exit}${reason}`;
    case "TIMEOUT": return `${head}: reached its time limit of ${info.timeLimit || "?"}${reason}; raise the step's time limit in the executor config`;
    case "OUT_OF_MEMORY": return `${head}: ran out of memory${info.memory ? ` (limit ${info.memory})` : ""}${reason}; raise the step's memory in the executor config`;
    case "CANCELLED": return `${head}: was cancelled${reason}`;
    case "PREEMPTED": return `${head}: was preempted by a higher-priority job${reason}`;
    case "NODE_FAIL": return `${head}: its node failed${reason}`;
    case "BOOT_FAIL": return `${head}: its node failed to boot${reason}`;
    case "DEADLINE": return `${head}: missed its deadline${reason}`;
    default: return `${head}${exit}${reason}`;
  }
}

/** Options of {@link waitForJob}. */
export interface WaitOptions {
  pollMs?: number;
  signal?: AbortSignal;
  /** Called when the state or reason changes (e.g. PENDING → RUNNING, RUNNING → REQUEUED). */
  onChange?: (info: JobInfo) => void;
}

/**
 * Polls until the job has ended and resolves with its final info. A job Slurm has forgotten
 * resolves as state `UNKNOWN`. Rejects with the signal's reason when aborted (the job is not
 * cancelled: that is the caller's choice).
 */
export async function waitForJob(id: string, options: WaitOptions = {}): Promise<JobInfo> {
  let last = "";
  for (;;) {
    options.signal?.throwIfAborted();
    const info = await jobInfo(id) ?? { id, state: "UNKNOWN", reason: "the controller no longer knows this job", exitCode: "", nodes: "", timeLimit: "", runTime: "", restarts: 0, memory: "" };
    const key = `${info.state}|${info.reason}|${info.restarts}`;
    if (key !== last) {
      last = key;
      options.onChange?.(info);
    }
    if (jobEnded(info)) return info;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, options.pollMs ?? 1000);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}

/** Cancels jobs (`scancel`); ids Slurm no longer knows are ignored. */
export async function cancelJobs(ids: string[], options: { signal?: string } = {}): Promise<void> {
  if (ids.length === 0) return;
  const args = options.signal ? [`--signal=${options.signal}`, ...ids] : ids;
  const out = await slurm("scancel", args);
  if (out.code !== 0 && !/Invalid job id|already completing or completed/i.test(out.stderr)) {
    throw new SlurmError(`Cannot cancel jobs ${ids.join(", ")}: scancel exited ${out.code}: ${out.stderr.trim()}`);
  }
}

/** Requeues a batch job (`scontrol requeue`): it stops and later runs again from its script's start. */
export async function requeueJob(id: string): Promise<void> {
  const out = await slurm("scontrol", ["requeue", id]);
  if (out.code !== 0) throw new SlurmError(`Cannot requeue job ${id}: scontrol exited ${out.code}: ${out.stderr.trim()}`);
}
