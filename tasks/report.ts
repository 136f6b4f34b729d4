/**
 * Task `report`: one self-contained HTML page for the run — every upstream step's status
 * (ran/cached), time, fingerprint, config, metrics and figures (PNGs inlined as data URIs, file
 * names linked through `outputs/<pipeline>/<step>`). Place it last with `needs` listing every
 * step to show. Writes `report.html` in its output and, when `pipeline` is set, also
 * `outputs/<pipeline>/report.html` (relative to the cwd, the project root). How statuses are
 * decided while the current lock does not exist yet: see `lib/plot/report_model.ts`; after the
 * run (`afterRun`) the page is rebuilt from the final lock file.
 *
 * @example
 * ```yaml
 * steps:
 *   report: { task: report, needs: [data, train, diagnostics], config: { pipeline: demo } }
 * ```
 * @module
 */
import { relative } from "node:path";
import { z } from "zod";
import { defineTask } from "../lib/task.ts";
import { writeReportFromInputs, writeReportFromLock } from "../lib/plot/report.ts";

export default defineTask({
  name: "report",
  description: "Writes a self-contained HTML report of the run: status, time, fingerprint, config, metrics and figures per step.",
  usesSeed: false,
  config: z.object({
    /** Pipeline whose report this is (default: the running pipeline): where report.html and the previous lock live. */
    pipeline: z.string().regex(/^[A-Za-z0-9._-]+$/, "expected a pipeline file name without extension").nullable().default(null),
    title: z.string().nullable().default(null),
  }),
  async run(ctx) {
    if (ctx.inputs.length === 0) throw new Error("Cannot write the report: the step has no upstream steps (list them in 'needs')");
    const pipeline = ctx.config.pipeline ?? ctx.pipeline ?? null;
    if (!pipeline) ctx.log.warn("no pipeline name (config 'pipeline' unset, not run by the runner): writing report.html only in the step output");
    const paths = await writeReportFromInputs(ctx.inputs, {
      root: Deno.cwd(),
      pipeline,
      outDir: ctx.outDir,
      title: ctx.config.title ?? undefined,
    });
    for (const path of paths) ctx.log.info(`wrote ${path}`);
    await ctx.writeMetrics({ steps: ctx.inputs.length });
  },
  // The step runs before the run's lock file exists; once it does, rebuild the page from it
  // (exact statuses and times of this run), keeping the configured title.
  async afterRun(ctx) {
    if (ctx.config.pipeline !== null && ctx.config.pipeline !== ctx.pipeline) return;
    const path = await writeReportFromLock(ctx.root, ctx.pipeline, ctx.config.title ?? undefined);
    ctx.log.info(`rebuilt ${relative(ctx.root, path)} from the lock file`);
  },
});
