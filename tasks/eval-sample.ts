/**
 * `eval-sample`: short-run sampling of a trained image EBM with the paper's eval settings
 * (defaults: `eval_flowers_nonconvergent.json`, 150 ULA steps from uniform noise, log every 50).
 * Same fields and outputs as `longrun-sample` (see `lib/train/sampling.ts`).
 *
 * @example
 * ```yaml
 * steps:
 *   eval: { task: eval-sample, needs: [train], config: configs/eval_flowers_nonconvergent.yaml }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { EvalSampleConfig } from "../lib/train/config.ts";
import { runSampling } from "../lib/train/sampling.ts";

export default defineTask({
  name: "eval-sample",
  description: "Short-run ULA/MALA sampling of a trained image EBM with the paper's eval settings.",
  config: EvalSampleConfig,
  usesTensors: true,
  externalInputs: (config) => (config.net_weight_path ? [config.net_weight_path] : []),
  run: (ctx) => runSampling(ctx),
});
