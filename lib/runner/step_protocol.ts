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

/** Everything a child needs to run one step (the parent already validated it). */
export interface StepJob {
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
  | { type: "result"; ok: false; error: string };
