/**
 * The contract between the pipeline runner and a task. Each file in `tasks/` default-exports one
 * {@link TaskDefinition} made with {@link defineTask}; the runner validates the step's effective
 * config with `config`, prepares a fresh output directory and calls `run(ctx)`.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineTask } from "../lib/task.ts";
 *
 * export default defineTask({
 *   name: "count-lines",
 *   description: "Counts the lines of a text file.",
 *   config: z.object({ path: z.string() }),
 *   externalInputs: (config) => [config.path],
 *   async run(ctx) {
 *     const text = await Deno.readTextFile(ctx.config.path);
 *     await ctx.writeMetrics({ lines: text.split("\n").length });
 *   },
 * });
 * ```
 * @module
 */
import type { z } from "zod";
import type { WorkerPool } from "./pool/pool.ts";

/** Leveled logger; every line also lands in the step's `step.log`. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Reports progress of long work; the runner turns it into a status line or timestamped lines. */
export interface Progress {
  /** `done` of `total` units of the phase named `label` (e.g. "iteration", "bytes"). */
  update(done: number, total: number, label?: string): void;
}

/** One upstream step whose output this step reads. */
export interface StepInput {
  /** The upstream step's id in the pipeline file. */
  id: string;
  /** The upstream step's task name. */
  task: string;
  /** Read-only directory with the upstream step's files. */
  dir: string;
  /** For a variant of a step with a `matrix:`: the step's id as written in the pipeline file. */
  group?: string;
  /** For a variant of a step with a `matrix:`: its values (field → value). */
  matrix?: Record<string, unknown>;
}

/** What a running task gets from the runner. */
export interface TaskContext<C> {
  /** The validated effective config (defaults ← config file ← profile ← --set). */
  config: C;
  /** Upstream outputs, in the order of the step's `needs`. */
  inputs: StepInput[];
  /**
   * The single upstream input produced by a step of task `task` (or with id `task`).
   * Throws a clear error when there is none or more than one.
   */
  input(task: string): StepInput;
  /** The upstream inputs whose output holds `file` (a path inside it), in `needs` order. */
  inputsWith(file: string): StepInput[];
  /**
   * The one upstream input whose output holds `file`; when there is none or several, an error
   * "`what`: expected exactly one upstream step with `file`, found N (inputs: …)" plus `hint`
   * when there is none.
   */
  inputWith(file: string, what: string, hint?: string): StepInput;
  /** A fresh, empty directory; becomes the step's cached output only if `run` resolves. */
  outDir: string;
  /**
   * A directory keyed by this step's fingerprint that survives a killed or failed run and is
   * deleted after success: long tasks keep resumable state (e.g. the last checkpoint) here, so
   * re-running the same step continues instead of starting over.
   */
  resumeDir: string;
  log: Logger;
  progress: Progress;
  /**
   * The step's seed: `config.seed` if the config has one, else the step's or pipeline's seed.
   * Reading it throws in a task declared with `usesSeed: false`.
   */
  seed: number;
  /** Aborted on SIGINT/SIGTERM or when a sibling step fails without --keep-going. */
  signal: AbortSignal;
  /** The shared piscina worker pool (sized by --jobs or the core count). */
  pool: WorkerPool;
  /** Name of the pipeline being run; absent when a task runs outside the runner (e.g. in a unit test). */
  pipeline?: string;
  /** Name of the tensor backend chosen for this run (e.g. "wasm"); "none" for non-tensor tasks. */
  backend: string;
  /** Writes `metrics.json` in `outDir` (flat name → number/string/boolean). */
  writeMetrics(metrics: Record<string, number | string | boolean | null>): Promise<void>;
}

/** A task: a name, a config schema with defaults, and the work. */
export interface TaskDefinition<S extends z.ZodType = z.ZodType> {
  /** Unique name used by pipeline files (`task: <name>`); equals the file name in `tasks/`. */
  name: string;
  /** One line for `deno task dag` and the report. */
  description: string;
  /** zod schema of the config; its defaults are the task defaults. */
  config: S;
  /**
   * True when results depend on the tensor backend: the backend name then enters the
   * fingerprint, and the runner initialises the backend before `run`.
   */
  usesTensors?: boolean;
  /**
   * False when results do not depend on the seed (reading a dataset, plotting): the seed then
   * stays out of the fingerprint, so pipelines with different seeds share the step's cached
   * output, and reading `ctx.seed` in `run` throws instead of silently ignoring it. Default true.
   */
  usesSeed?: boolean;
  /**
   * Local files or directories (e.g. datasets) this config reads from outside the pipeline;
   * the runner fingerprints their content (hashed once, then checked by path + size + mtime).
   */
  externalInputs?: (config: z.output<S>) => string[];
  /**
   * External inputs that depend on the machine, not only on the config — e.g. which copy of a
   * dataset is present here (an explicit path, a system package, a download, an embedded sample).
   * Called at every plan (never cached), after `externalInputs`; the paths it returns are
   * fingerprinted like theirs (give paths inside the checkout relative to it, so fingerprints do
   * not depend on where the checkout lives). Throwing stops the plan (exit 2) with the message,
   * located at the step: say there where you looked and how to get what is missing.
   */
  resolveInputs?: (config: z.output<S>) => Promise<string[]>;
  run(ctx: TaskContext<z.output<S>>): Promise<void>;
  /**
   * Work that needs the whole run's outcome, e.g. a report rebuilt from the final lock file. The
   * runner calls it after it has written `outputs/<pipeline>/pipeline.lock.json`, for a step that
   * ran or was cached, in a process of its own (the runner itself imports no task code). It must
   * not change the step's output (read-only); a failure is reported as a warning.
   */
  afterRun?(ctx: AfterRunContext<z.output<S>>): Promise<void>;
}

/** What {@link TaskDefinition.afterRun} gets. */
export interface AfterRunContext<C> {
  /** The step's validated config. */
  config: C;
  /** The pipeline that ran. */
  pipeline: string;
  /** The project root (also the working directory). */
  root: string;
  /** Absolute path of the run's lock file, just written. */
  lockFile: string;
  /** The step's stored output (read-only). */
  outDir: string;
  log: Logger;
}

/** Identity helper that gives `run` a typed `ctx.config`. */
export function defineTask<S extends z.ZodType>(definition: TaskDefinition<S>): TaskDefinition<S> {
  return definition;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The {@link TaskContext.inputsWith} and {@link TaskContext.inputWith} methods over `inputs`
 * (for whoever builds a context: the runner, test rigs).
 *
 * @example
 * ```ts ignore
 * const ctx = { inputs, ...fileLookups(inputs), … };
 * const checkpoint = ctx.inputWith("checkpoint.safetensors", "Cannot find the network");
 * ```
 */
export function fileLookups(inputs: StepInput[]): Pick<TaskContext<unknown>, "inputsWith" | "inputWith"> {
  const inputsWith = (file: string) => inputs.filter((i) => isFile(`${i.dir}/${file}`));
  return {
    inputsWith,
    inputWith(file: string, what: string, hint?: string): StepInput {
      const found = inputsWith(file);
      if (found.length === 1) return found[0];
      const names = inputs.map((i) => `${i.id} (${i.task})`).join(", ") || "none";
      throw new Error(`${what}: expected exactly one upstream step with ${file}, found ${found.length} (inputs: ${names})${found.length === 0 && hint ? `; ${hint}` : ""}`);
    },
  };
}
