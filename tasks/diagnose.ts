/**
 * `diagnose`: the paper's verdicts as a step. For each training step upstream it writes whether
 * learning was stable and whether the MCMC is convergent, with the evidence, to `diagnosis.json`
 * (format in `lib/diagnosis/file.ts`; rules and default thresholds in `lib/diagnosis/rules.ts`).
 * Config: every threshold, plus `longrun: { <training step id>: <long-run step id> }` pairing
 * image runs with their long-run sampling step (unpaired image runs are "not assessed"; toy runs
 * are judged from their own landscape). Metrics: `<run>.learning`, `<run>.sampling` and each
 * test's value as `<run>.<key>`, for `regress`.
 *
 * @example
 * ```yaml
 * steps:
 *   diagnose:
 *     task: diagnose
 *     needs: [data, train, longrun]
 *     config: { longrun: { train: longrun } }
 * ```
 * @module
 */
import { z } from "zod";
import { defineTask } from "../lib/task.ts";
import { DiagnosisThresholds } from "../lib/diagnosis/rules.ts";
import { DIAGNOSIS_FILE, writeDiagnosis } from "../lib/diagnosis/file.ts";
import { diagnoseInputs } from "../lib/diagnosis/diagnose.ts";

export const DiagnoseConfig = DiagnosisThresholds.extend({
  /** Training step id → the long-run sampling step of its network (image runs). */
  longrun: z.record(z.string(), z.string()).default({}),
});

export default defineTask({
  name: "diagnose",
  description: "Labels each upstream training run: learning stable/unstable, sampling convergent/non-convergent/not assessed, with evidence.",
  config: DiagnoseConfig,
  usesTensors: true,
  usesSeed: false,
  async run(ctx) {
    const { diagnosis, metrics } = await diagnoseInputs(ctx.inputs, ctx.config, ctx.log);
    await writeDiagnosis(`${ctx.outDir}/${DIAGNOSIS_FILE}`, diagnosis);
    await ctx.writeMetrics(metrics);
  },
});
