/**
 * `train-vera-toy`: VERA (SPEC §7) on one 2-D point set (the upstream `toy-2d` step): the seed's
 * MLP energy 2→h_dim→h_dim→1 and its toy generator, trained without MCMC. Config: the seed's knobs
 * under its flag names (lib/vera/config.ts) plus the toy settings (lib/vera/toy.ts).
 *
 * Outputs: `ebm.safetensors` (the energy E, `f.0.weight` [100, 2] … `f.4.bias`, log p = −E − c),
 * `generator.safetensors` (lib/vera/files.ts), `samples.safetensors` (generator samples, a point
 * set), `landscape.json` (true / EBM / generator-KDE densities on [−4, 4]²), `metrics.jsonl`
 * (d_t = mean E(x_d) − mean E(x_g), r_t = mean ‖∇ₓ log p(x_g)‖), `metrics.json` (`mse_logp` on
 * 8gaussians, `kl_true_ebm`, `kl_true_kde`, wall time). Resumable like `train-ebm`.
 *
 * @example
 * ```yaml
 * steps:
 *   data-8gaussians: { task: toy-2d, config: { dataset: 8gaussians } }
 *   vera-8gaussians: { task: train-vera-toy, needs: [data-8gaussians], config: { n_iters: 20000 } }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { findPointSetInput, readPointSet } from "../lib/data/point_set_file.ts";
import { VeraToyConfig, VeraToyProblem } from "../lib/vera/toy.ts";
import { trainInStep } from "../lib/train/task_io.ts";

export default defineTask({
  name: "train-vera-toy",
  description: "Trains a 2-D EBM with VERA (generator + entropy-gradient estimator, no MCMC) on an upstream point set.",
  config: VeraToyConfig,
  usesTensors: true,
  async run(ctx) {
    const c = ctx.config;
    const set = await readPointSet(findPointSetInput(ctx.inputs));
    const problem = new VeraToyProblem(c, set.points, set.dataset, ctx.seed, ctx.pool);
    ctx.log.info(`VERA on ${set.dataset} (${set.count} points): ${c.n_iters} iterations of batch ${c.batch_size}, ${c.generator_type}, ent_weight ${c.ent_weight}, lr ${c.lr}/${c.glr}`);
    const summary = await trainInStep(ctx, problem, {
      numIters: c.n_iters, logFreq: c.log_every, lrInit: c.lr, lrMin: c.lr, lrDecay: 1, summaryWindow: c.summary_window, config: c,
    });
    ctx.log.info(`${set.dataset}: mse_logp ${summary.mse_logp ?? "n/a"}, KL(true‖EBM) ${Number(summary.kl_true_ebm).toFixed(4)}, ${summary.seconds_per_iter.toFixed(4)} s/iteration`);
  },
});
