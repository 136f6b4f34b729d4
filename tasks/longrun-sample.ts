/**
 * `longrun-sample`: long-run sampling of a trained image EBM (the paper's eval, SPEC §3), the
 * test of convergent vs non-convergent learning. Config: the paper's `eval_config.json` fields
 * (defaults: 250,000 ULA steps from data, log every 500). The network comes from
 * `net_weight_path` or the upstream `train-ebm` step's `checkpoint.safetensors`; data/bank
 * initialisation reads the upstream dataset / training step. Outputs: see `lib/train/sampling.ts`.
 *
 * @example
 * ```yaml
 * steps:
 *   longrun: { task: longrun-sample, needs: [data, train], config: configs/eval_flowers_convergent.yaml }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { LongrunSampleConfig } from "../lib/train/config.ts";
import { runSampling } from "../lib/train/sampling.ts";

export default defineTask({
  name: "longrun-sample",
  description: "Long-run ULA/MALA sampling of a trained image EBM: grids, energy/gradient paths, acceptance.",
  config: LongrunSampleConfig,
  usesTensors: true,
  externalInputs: (config) => (config.net_weight_path ? [config.net_weight_path] : []),
  run: (ctx) => runSampling(ctx),
});
