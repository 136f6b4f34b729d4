/**
 * Task `plot-sampling`: energy and gradient magnitude over the sampling path, plus the MH
 * acceptance rate when recorded, for every upstream step that wrote the records file (default
 * `records.json`; format in `lib/plot/sampling.ts`). Output: `sampling.svg/.png`
 * (`sampling-<step>.*` with several inputs).
 *
 * @example
 * ```yaml
 * steps:
 *   paths: { task: plot-sampling, needs: [eval] }
 * ```
 * @module
 */
import { CHAINS_FILE, readSamplingChains } from "../lib/artifacts/sampling_chains.ts";
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { exists, readJson } from "../lib/util/fs.ts";
import { type SamplingRecords, samplingFigure } from "../lib/plot/sampling.ts";
import { parseSamplingRecords, RECORDS_FILE } from "../lib/artifacts/sampling_records.ts";
import { writeFigure } from "../lib/plot/render.ts";

export default defineTask({
  name: "plot-sampling",
  description: "Plots energy, gradient magnitude and MH acceptance per Langevin step for each upstream sampling run.",
  usesSeed: false,
  config: z.object({
    file: z.string().default(RECORDS_FILE),
    png_scale: z.number().positive().default(2),
  }),
  async run(ctx) {
    const sources = ctx.inputsWith(ctx.config.file).map((input) => ({ input, path: join(input.dir, ctx.config.file) }));
    if (sources.length === 0) throw new Error(`Cannot plot sampling paths: no upstream step wrote ${ctx.config.file} (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    const metrics: Record<string, number> = {};
    for (const { input, path } of sources) {
      const records: SamplingRecords = parseSamplingRecords(await readJson(path), path);
      const chainsPath = join(input.dir, CHAINS_FILE);
      if (await exists(chainsPath)) records.chains = await readSamplingChains(chainsPath);
      const figure = samplingFigure({ ...records, title: `${input.id}: sampling path` });
      await writeFigure(ctx.outDir, sources.length === 1 ? "sampling" : `sampling-${input.id}`, figure, { scale: ctx.config.png_scale });
      metrics[`${input.id}.steps`] = records.energy.length;
      metrics[`${input.id}.final_energy`] = records.energy[records.energy.length - 1];
      if (records.acceptance) {
        let sum = 0;
        for (let i = 0; i < records.acceptance.length; i++) sum += records.acceptance[i];
        metrics[`${input.id}.mean_acceptance`] = sum / records.acceptance.length;
      }
    }
    await ctx.writeMetrics(metrics);
  },
});
