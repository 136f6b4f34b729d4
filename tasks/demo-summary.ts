/**
 * Task `demo-summary`: combines the metrics of all its upstream steps into `summary.md` (a
 * table per step) and `summary.json`. Plot-free, so it stays cheap.
 *
 * @example
 * ```yaml
 * steps:
 *   summary: { task: demo-summary, needs: [generate, stats], config: { title: Demo } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { exists, readJson, writeFileAtomic, writeJsonAtomic } from "../lib/util/fs.ts";

export default defineTask({
  name: "demo-summary",
  description: "Combines the metrics of its upstream steps into a markdown and JSON summary.",
  usesSeed: false,
  config: z.object({
    title: z.string().min(1).default("Demo pipeline summary"),
    /** Significant digits of numbers in the markdown table. */
    digits: z.number().int().min(1).max(17).default(4),
  }),
  async run(ctx) {
    const combined: Record<string, Record<string, unknown>> = {};
    const lines = [`# ${ctx.config.title}`, ""];
    for (const input of ctx.inputs) {
      const path = join(input.dir, "metrics.json");
      const metrics = (await exists(path)) ? await readJson<Record<string, unknown>>(path) : {};
      combined[input.id] = metrics;
      lines.push(`## ${input.id} (${input.task})`, "", "| metric | value |", "| --- | --- |");
      for (const [k, v] of Object.entries(metrics)) {
        lines.push(`| ${k} | ${typeof v === "number" ? Number(v.toPrecision(ctx.config.digits)) : String(v)} |`);
      }
      lines.push("");
    }
    await writeFileAtomic(join(ctx.outDir, "summary.md"), lines.join("\n"));
    await writeJsonAtomic(join(ctx.outDir, "summary.json"), { title: ctx.config.title, steps: combined });
    ctx.log.info(`summarised ${ctx.inputs.length} steps`);
    await ctx.writeMetrics({ steps: ctx.inputs.length });
  },
});
