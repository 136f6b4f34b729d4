/**
 * `train-fce`: flow contrastive estimation on 2-D points (SPEC §5, the FCE seed's `train.py`):
 * an EBM `log p = −f − c` (MLP 2→128→128→1, LeakyReLU 0.2) against a MAF or Glow flow, one Adam
 * step per batch on the EBM while the accuracy ≤ `threshold`, else on the flow. Reads the one
 * upstream point set (`points.safetensors`, e.g. from `toy-2d`); on 8gaussians it also tracks
 * `mse_logp`, the MSE between the EBM's log p and the exact mixture log-density on a fixed
 * sample of `eval_samples` points, every `eval_freq` steps. Resumable after a kill like
 * `train-ebm`; stops with a clear error on a non-finite value.
 *
 * Outputs (formats in `lib/artifacts/fce_files.ts`): `metrics.jsonl` (per step), `metrics.json`
 * (summary: mean −V and accuracy over the last `summary_fraction` of the steps, final and
 * minimum `mse_logp`, timing), `ebm.safetensors` and `flow.safetensors` (the seed's
 * state_dict keys, PyTorch layouts), `densities.safetensors` (log p and log q on the figure grid).
 * Figures are drawn by `plot-fce`.
 *
 * @example
 * ```yaml
 * steps:
 *   data-8gaussians: { task: toy-2d, config: { dataset: 8gaussians } }
 *   fce-maf-8gaussians: { task: train-fce, needs: [data-8gaussians], config: { flow: maf } }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { TrainFceConfig } from "../lib/train/fce_config.ts";
import { runFceTraining } from "../lib/train/fce.ts";
import { loopContext } from "../lib/train/task_io.ts";
import { POINT_SET_FILE, readPointSet } from "../lib/data/point_set_file.ts";

export default defineTask({
  name: "train-fce",
  description: "Trains a 2-D EBM by flow contrastive estimation against a MAF or Glow flow.",
  config: TrainFceConfig,
  usesTensors: true,
  async run(ctx) {
    const path = `${ctx.inputWith(POINT_SET_FILE, "Cannot find the training points", "add a toy-2d step to 'needs'").dir}/${POINT_SET_FILE}`;
    const set = await readPointSet(path);
    if (set.dim !== 2) throw new Error(`Cannot train FCE on '${path}': expected 2-D points, got ${set.dim}-D`);
    ctx.log.info(`FCE with ${ctx.config.flow} on ${set.count} points of ${set.dataset} from ${path}`);
    const summary = await runFceTraining({
      config: ctx.config,
      points: set.points,
      dataset: set.dataset,
      ...loopContext(ctx),
    });
    await ctx.writeMetrics(summary);
  },
});
