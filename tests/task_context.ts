/**
 * A hand-made {@link TaskContext} for calling a task's `run` directly in tests, without the
 * runner: temp output and resume dirs, collecting logger and progress, a real worker pool.
 *
 * @example
 * ```ts
 * import { makeTestContext } from "./task_context.ts";
 * const t = await makeTestContext({ im_sz: 32 });
 * try { await task.run(t.ctx); } finally { await t.dispose(); }
 * ```
 * @module
 */
import { fileLookups, type StepInput, type TaskContext } from "../lib/task.ts";
import { createPool, type WorkerPool } from "../lib/pool/pool.ts";
import { writeJsonAtomic } from "../lib/util/fs.ts";

/** A test context plus what it collected. */
export interface TestContext<C> {
  ctx: TaskContext<C>;
  logs: string[];
  progress: { done: number; total: number; label?: string }[];
  metrics: Record<string, number | string | boolean | null> | null;
  /** Closes the pool (unless it was passed in) and removes the temp directory. */
  dispose(): Promise<void>;
}

/** Options of {@link makeTestContext}. */
export interface TestContextOptions {
  inputs?: StepInput[];
  /** Threads of the context's own pool (default 1); ignored when `pool` is given. */
  threads?: number;
  /** A pool shared by several contexts (e.g. two steps of one test); the caller closes it. */
  pool?: WorkerPool;
  seed?: number;
  /** `ctx.backend` (default "none"). */
  backend?: string;
}

/** Builds a context whose `outDir` is a fresh temp directory; `threads` sizes the pool (default 1). */
export async function makeTestContext<C>(config: C, options: TestContextOptions = {}): Promise<TestContext<C>> {
  const root = await Deno.makeTempDir({ prefix: "ebm-task-test-" });
  const outDir = `${root}/out`;
  await Deno.mkdir(outDir);
  const resumeDir = `${root}/resume`;
  await Deno.mkdir(resumeDir);
  const ownPool = options.pool === undefined;
  const pool = options.pool ?? createPool({ threads: options.threads ?? 1 });
  const controller = new AbortController();
  const inputs = options.inputs ?? [];
  const result: TestContext<C> = {
    logs: [],
    progress: [],
    metrics: null,
    ctx: undefined as unknown as TaskContext<C>,
    async dispose() {
      controller.abort();
      if (ownPool) await pool.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
  result.ctx = {
    config,
    inputs,
    ...fileLookups(inputs),
    input(task: string): StepInput {
      const found = inputs.filter((i) => i.task === task || i.id === task);
      if (found.length !== 1) throw new Error(`Cannot find input '${task}': expected exactly one, got ${found.length}`);
      return found[0];
    },
    outDir,
    resumeDir,
    log: {
      info: (m) => void result.logs.push(`info ${m}`),
      warn: (m) => void result.logs.push(`warn ${m}`),
      debug: (m) => void result.logs.push(`debug ${m}`),
    },
    progress: { update: (done, total, label) => void result.progress.push({ done, total, label }) },
    seed: options.seed ?? 123,
    signal: controller.signal,
    pool,
    backend: options.backend ?? "none",
    async writeMetrics(metrics) {
      result.metrics = metrics;
      await writeJsonAtomic(`${outDir}/metrics.json`, metrics);
    },
  };
  return result;
}
