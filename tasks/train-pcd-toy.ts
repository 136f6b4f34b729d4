/**
 * `train-pcd-toy`: the short-run-Langevin baseline of `vera-toy` — the anatomy paper's convergent
 * recipe (persistent chains, `num_mcmc_steps` Langevin steps of size ε per iteration, loss scaled
 * by 2/ε², SGD with lr·ε²/2) on the same MLP energy as `train-vera-toy`, ε set from the data's
 * local standard deviation (lib/vera/toy.ts). Same outputs as `train-vera-toy` except the
 * generator: `ebm.safetensors` (E = (2/ε²)·U), `samples.safetensors` (the first persistent chains),
 * `landscape.json`, `metrics.jsonl`, `metrics.json`. Resumable.
 *
 * @example
 * ```yaml
 * steps:
 *   pcd-8gaussians: { task: train-pcd-toy, needs: [data-8gaussians], config: { epsilon: 0.354 } }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { findPointSetInput, readPointSet } from "../lib/data/point_set_file.ts";
import { PcdToyConfig, PcdToyProblem } from "../lib/vera/toy.ts";
import { trainInStep } from "../lib/train/task_io.ts";

export default defineTask({
  name: "train-pcd-toy",
  description: "Trains a 2-D EBM by persistent short-run Langevin ML (the anatomy paper's convergent recipe) on an upstream point set.",
  config: PcdToyConfig,
  usesTensors: true,
  async run(ctx) {
    const c = ctx.config;
    const set = await readPointSet(findPointSetInput(ctx.inputs));
    const problem = new PcdToyProblem(c, set.points, set.dataset, ctx.seed, ctx.pool);
    const lr = PcdToyProblem.effectiveLr(c);
    ctx.log.info(`Persistent short-run Langevin on ${set.dataset} (${set.count} points): ${c.n_iters} iterations, ${c.num_mcmc_steps} steps of ε ${c.epsilon}, ${c.optimizer_type} lr ${lr.toExponential(3)}`);
    const summary = await trainInStep(ctx, problem, {
      numIters: c.n_iters, logFreq: c.log_every, lrInit: lr, lrMin: lr, lrDecay: 1, summaryWindow: c.summary_window, config: c,
    });
    ctx.log.info(`${set.dataset}: mse_logp ${summary.mse_logp ?? "n/a"}, KL(true‖EBM) ${Number(summary.kl_true_ebm).toFixed(4)}, ${summary.seconds_per_iter.toFixed(4)} s/iteration`);
  },
});
