/**
 * Messages between the runner and a step's child process. The parent writes one {@link StepJob}
 * JSON line on the child's stdin and later, to cancel, the line `abort`; when the stdin pipe
 * closes (the parent died) the child exits at once. The child writes {@link ChildMessage} JSON
 * lines on stdout (task `console.log` output is redirected into the step log, so stdout stays
 * a clean channel).
 *
 * @example
 * ```ts
 * import type { ChildMessage } from "./step_protocol.ts";
 * const m: ChildMessage = { type: "progress", done: 3, total: 10, label: "chunk" };
 * ```
 * @module
 */
import type { StepInput } from "../task.ts";

/**
 * Why a step failed — a typed value that crosses the process boundary and is recorded in the
 * lock file. Kinds reported by the step process: `load` (the task module could not be
 * imported), `backend` (the tensor backend could not be resolved or initialised), `task` (the
 * task's `run` threw), `aborted` (cancelled: interrupted, or a sibling step failed). Kinds the
 * runner adds: `crashed` (the process ended without reporting a result: killed, out of memory,
 * a crash), `store` (the output could not be stored), `runner` (any other error of the runner).
 */
export type StepFailureKind = "load" | "backend" | "task" | "aborted" | "crashed" | "store" | "runner";

/** A failure: where ({@link StepFailureKind}) and what (one line, naming the file or value). */
export interface StepFailure {
  kind: StepFailureKind;
  message: string;
}

/**
 * Why a selected step has no output: a failed step's {@link StepFailure}, or why a step was
 * skipped — `upstream` (an upstream step failed, was skipped, or has no output), `stopped`
 * (another step failed, without --keep-going), `interrupted` (SIGINT/SIGTERM).
 */
export type StepProblem = StepFailure | { kind: "upstream" | "stopped" | "interrupted"; message: string };

/** Everything a child needs to run one step (the parent already validated it). */
export interface StepJob {
  /**
   * `run` (default): run the task into `outDir`. `afterRun`: call the task's `afterRun` after the
   * lock file is written; `outDir` is then the step's stored (read-only) output and no log file
   * is written there.
   */
  phase?: "run" | "afterRun";
  /** Project root: the child's working directory, so tasks' relative paths resolve there. */
  root: string;
  pipeline: string;
  stepId: string;
  taskName: string;
  /** `file:` URL of the task module. */
  taskUrl: string;
  config: Record<string, unknown>;
  inputs: StepInput[];
  outDir: string;
  /** Directory that keeps resumable state across killed/failed runs of this fingerprint. */
  resumeDir: string;
  /** null for a task declared `usesSeed: false`. */
  seed: number | null;
  /** Backend to initialise before `run` (tensor tasks), else null. */
  backend: string | null;
  /** Why the backend could not be resolved, if so (the step then fails with it). */
  backendError: string | null;
  poolThreads: number;
}

/** A line from child to parent. */
export type ChildMessage =
  | { type: "log"; level: "info" | "warn" | "debug"; message: string }
  | { type: "progress"; done: number; total: number; label?: string }
  | { type: "result"; ok: true }
  | { type: "result"; ok: false; failure: StepFailure };

/**
 * One stdout line of a child as a {@link ChildMessage}; a line that is not JSON (a stray print)
 * becomes an info log line, so nothing the child writes is lost.
 *
 * @example
 * ```ts
 * import { parseChildLine } from "./step_protocol.ts";
 * parseChildLine('{"type":"result","ok":true}'); // { type: "result", ok: true }
 * parseChildLine("hello"); // { type: "log", level: "info", message: "hello" }
 * ```
 */
export function parseChildLine(line: string): ChildMessage {
  try {
    return JSON.parse(line);
  } catch {
    return { type: "log", level: "info", message: line };
  }
}
