/**
 * `plot-hybrid`: the joint classifier-EBM's figures, from the data of upstream `train-hybrid` and
 * `eval-hybrid` steps (any number of them; an eval step is matched to its training step by the
 * `model_from` it records). Per training step `<id>-training.png/.svg` (accuracy per epoch, CE,
 * contrastive term, energies) and `<id>-negatives.png`; per eval step `<id>-reliability`,
 * `<id>-energies`, `<id>-unconditional.png` and `<id>-conditional.png` (one row per class); with
 * several evals `comparison.png/.svg`. Metrics: each eval's accuracy, ECE and mean energies, keyed
 * by its training step, so the report shows the runs side by side.
 *
 * @example
 * ```yaml
 * steps:
 *   plot: { task: plot-hybrid, needs: [train, eval, train-baseline, eval-baseline] }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { exists } from "../lib/util/fs.ts";
import { EPOCH_LOG_FILE, readEpochLog } from "../lib/artifacts/hybrid_epochs.ts";
import { EVAL_FILE, readEnergyArrays, readHybridEval } from "../lib/artifacts/hybrid_eval.ts";
import { NEGATIVES_FILE, readSampleBatches, SAMPLES_FILE } from "../lib/artifacts/hybrid_samples.ts";
import { parseMetricsJsonl } from "../lib/artifacts/metrics_log.ts";
import { comparisonFigure, type ComparisonRow, energyHistogramFigure, hybridTrainingFigure, reliabilityFigure } from "../lib/plot/hybrid.ts";
import { writeFigure } from "../lib/plot/render.ts";
import { writeGridPng } from "../lib/data/image_grid.ts";

export default defineTask({
  name: "plot-hybrid",
  description: "Draws the joint classifier-EBM's training curves, reliability diagrams, energy histograms and sample grids.",
  usesSeed: false,
  config: z.strictObject({}),
  async run(ctx) {
    const metrics: Record<string, number | string | boolean | null> = {};
    const rows: ComparisonRow[] = [];
    let drawn = 0;
    for (const input of ctx.inputs) {
      const dir = input.dir;
      if (await exists(join(dir, EPOCH_LOG_FILE))) {
        const epochs = await readEpochLog(join(dir, EPOCH_LOG_FILE));
        const iterations = parseMetricsJsonl(await Deno.readTextFile(join(dir, "metrics.jsonl")), join(dir, "metrics.jsonl"));
        // A run finished early by on_diverge: stop says where and why in its metrics.json.
        const summary = await exists(join(dir, "metrics.json")) ? JSON.parse(await Deno.readTextFile(join(dir, "metrics.json"))) : {};
        const diverged = typeof summary.diverged_at === "number" ? ` — diverged at iteration ${summary.diverged_at}: ${summary.diverged_reason}` : "";
        if (diverged) Object.assign(metrics, { [`${input.id}_diverged_at`]: summary.diverged_at, [`${input.id}_diverged_reason`]: summary.diverged_reason });
        await writeFigure(ctx.outDir, `${input.id}-training`, hybridTrainingFigure(epochs, iterations, `Training: ${input.id}${diverged}`));
        if (await exists(join(dir, NEGATIVES_FILE))) {
          const { negatives } = await readSampleBatches(join(dir, NEGATIVES_FILE));
          const [n, height, width, channels] = negatives.shape;
          await writeGridPng(join(ctx.outDir, `${input.id}-negatives.png`), negatives.images, { n, height, width, channels });
        }
        drawn++;
      }
      if (await exists(join(dir, EVAL_FILE))) {
        const result = await readHybridEval(dir);
        const run = result.model_from || input.id;
        await writeFigure(ctx.outDir, `${input.id}-reliability`, reliabilityFigure(result.reliability, result.ece, run));
        await writeFigure(ctx.outDir, `${input.id}-energies`, energyHistogramFigure(await readEnergyArrays(dir), `Energies (${result.energy_sign} sign): ${run}`));
        const batches = await readSampleBatches(join(dir, SAMPLES_FILE));
        for (const [name, b] of Object.entries(batches)) {
          const [n, height, width, channels] = b.shape;
          const nrow = name === "conditional" ? result.sampler.per_class : undefined;
          await writeGridPng(join(ctx.outDir, `${input.id}-${name}.png`), b.images, { n, height, width, channels }, { nrow });
        }
        rows.push({ run, test_accuracy: result.test_accuracy, ece: result.ece });
        Object.assign(metrics, {
          [`${run}_test_accuracy`]: result.test_accuracy,
          [`${run}_ece`]: result.ece,
          [`${run}_energy_test`]: result.energies.test.mean,
          [`${run}_energy_noise`]: result.energies.noise.mean,
          [`${run}_energy_samples`]: result.energies.samples.mean,
        });
        drawn++;
      }
    }
    if (drawn === 0) throw new Error(`Cannot plot: no upstream step has ${EPOCH_LOG_FILE} or ${EVAL_FILE} (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    if (rows.length > 1) await writeFigure(ctx.outDir, "comparison", comparisonFigure(rows, "Runs side by side"));
    await ctx.writeMetrics(metrics);
  },
});
