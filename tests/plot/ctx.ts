/**
 * A hand-made {@link TaskContext} for calling plot tasks' `run` directly: temp output dir,
 * collecting logger, a real one-thread worker pool.
 *
 * @example
 * ```ts
 * import { makePlotContext } from "./ctx.ts";
 * const t = await makePlotContext({ window: 2000 }, []);
 * try { await task.run(t.ctx); } finally { await t.dispose(); }
 * ```
 * @module
 */
import type { StepInput, TaskContext } from "../../lib/task.ts";
import { createPool } from "../../lib/pool/pool.ts";
import { writeJsonAtomic } from "../../lib/util/fs.ts";

/** A test context and what it collected. */
export interface PlotTestContext<C> {
  ctx: TaskContext<C>;
  logs: string[];
  metrics: Record<string, number | string | boolean | null> | null;
  dispose(): Promise<void>;
}

/** Builds the context; `outDir` is a fresh temp directory removed by `dispose`. */
export async function makePlotContext<C>(config: C, inputs: StepInput[]): Promise<PlotTestContext<C>> {
  const root = await Deno.makeTempDir({ prefix: "ebm-plot-test-" });
  const outDir = `${root}/out`;
  await Deno.mkdir(outDir);
  const pool = createPool({ threads: 1 });
  const controller = new AbortController();
  const result: PlotTestContext<C> = {
    logs: [],
    metrics: null,
    ctx: undefined as unknown as TaskContext<C>,
    async dispose() {
      controller.abort();
      await pool.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
  result.ctx = {
    config,
    inputs,
    input(task: string): StepInput {
      const found = inputs.filter((i) => i.task === task || i.id === task);
      if (found.length !== 1) throw new Error(`Cannot find input '${task}': expected exactly one, got ${found.length}`);
      return found[0];
    },
    outDir,
    resumeDir: `${root}/resume`,
    log: {
      info: (m) => void result.logs.push(`info ${m}`),
      warn: (m) => void result.logs.push(`warn ${m}`),
      debug: (m) => void result.logs.push(`debug ${m}`),
    },
    progress: { update: () => {} },
    seed: 123,
    signal: controller.signal,
    pool,
    backend: "none",
    async writeMetrics(metrics) {
      result.metrics = metrics;
      await writeJsonAtomic(`${outDir}/metrics.json`, metrics);
    },
  };
  return result;
}
