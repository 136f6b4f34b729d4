/**
 * `eval-hybrid`: evaluates a joint classifier-EBM (`model.safetensors` of a `train-hybrid` step)
 * on the labelled images of a dataset step (the 10,000 test images): accuracy, expected
 * calibration error (15 bins) with the reliability table, energies of the test images vs uniform
 * noise vs short-run samples, unconditional and class-conditional samples (`lib/hybrid/eval.ts`).
 * The sampler defaults to the model's training settings (η, α, σ, clamp); for a model not trained
 * by `train-hybrid` (e.g. `train-vera-jem`, whose file has the same layout) to the seed's
 * defaults (η 50, α 0.5, σ 0.05), unless the config names them. Writes data only:
 * `eval.json`, `energies.safetensors` (`lib/artifacts/hybrid_eval.ts`), `samples.safetensors`
 * (`lib/artifacts/hybrid_samples.ts`) and metrics; the plot step draws them.
 *
 * @example
 * ```yaml
 * steps:
 *   eval: { task: eval-hybrid, needs: [train, data-test], config: { samples: 100, samples_per_class: 10 } }
 * ```
 * @module
 */
import { z } from "zod";
import { defineTask } from "../lib/task.ts";
import { readImageDataset } from "../lib/data/dataset_file.ts";
import { findDatasetInput } from "../lib/train/task_io.ts";
import { findHybridModelInput, loadHybridNetwork } from "../lib/artifacts/hybrid_model.ts";
import { TrainHybridConfig } from "../lib/hybrid/config.ts";
import { evaluateHybrid } from "../lib/hybrid/eval.ts";
import { writeHybridEval } from "../lib/artifacts/hybrid_eval.ts";
import { SAMPLES_FILE, writeSampleBatches } from "../lib/artifacts/hybrid_samples.ts";

export const EvalHybridConfig = z.strictObject({
  /** Langevin steps of the samplers; null: the model's training `langevin_steps`. */
  langevin_steps: z.number().int().nonnegative().nullable().default(null),
  /** null: the model's training `langevin_alpha`. */
  langevin_alpha: z.number().nonnegative().nullable().default(null),
  /** null: the model's training `langevin_sigma`. */
  langevin_sigma: z.number().nonnegative().nullable().default(null),
  /** null: the model's training `langevin_clamp`. */
  langevin_clamp: z.enum(["final", "step"]).nullable().default(null),
  /** Unconditional samples (their energies are the "samples" energies). */
  samples: z.number().int().positive().default(100),
  /** Class-conditional samples per class. */
  samples_per_class: z.number().int().positive().default(10),
  /** Uniform-noise images whose energies are measured. */
  noise_images: z.number().int().positive().default(1000),
  /** Confidence bins of the expected calibration error. */
  bins: z.number().int().positive().default(15),
});
export type EvalHybridConfig = z.output<typeof EvalHybridConfig>;

export default defineTask({
  name: "eval-hybrid",
  description: "Evaluates a joint classifier-EBM: test accuracy, calibration (ECE), energies of data vs noise vs samples, unconditional and class-conditional samples.",
  config: EvalHybridConfig,
  usesTensors: true,
  async run(ctx) {
    const c = ctx.config;
    const { path, id } = findHybridModelInput(ctx);
    const { mlp, model } = await loadHybridNetwork(path);
    const parsed = TrainHybridConfig.safeParse(model.config ?? {});
    const trained = parsed.success ? parsed.data : TrainHybridConfig.parse({});
    if (!parsed.success) ctx.log.info(`${path} was not trained by train-hybrid: its sampler settings are the config's or the seed's defaults`);
    const dataPath = findDatasetInput(ctx);
    const test = await readImageDataset(dataPath);
    if (!test.labels) throw new Error(`Cannot evaluate: '${dataPath}' has no labels`);
    const options = {
      steps: c.langevin_steps ?? trained.langevin_steps,
      alpha: c.langevin_alpha ?? trained.langevin_alpha,
      sigma: c.langevin_sigma ?? trained.langevin_sigma,
      clamp: c.langevin_clamp ?? trained.langevin_clamp,
      unconditional: c.samples,
      perClass: c.samples_per_class,
      noiseImages: c.noise_images,
      bins: c.bins,
      modelFrom: id,
    };
    ctx.log.info(`Evaluating ${path} (${model.energySign} sign) on ${test.shape[0]} images from ${dataPath}; sampler η ${options.steps}, α ${options.alpha}, σ ${options.sigma}`);
    const { result, energies, samples } = evaluateHybrid(mlp, model.energySign, { images: test.images, shape: test.shape, labels: test.labels }, options, ctx.seed);
    mlp.dispose();
    await writeHybridEval(ctx.outDir, result, energies);
    await writeSampleBatches(`${ctx.outDir}/${SAMPLES_FILE}`, samples);
    const e = result.energies;
    ctx.log.info(`test accuracy ${result.test_accuracy.toFixed(4)}, ECE ${result.ece.toFixed(4)}; mean energy test ${e.test.mean.toFixed(3)}, noise ${e.noise.mean.toFixed(3)}, samples ${e.samples.mean.toFixed(3)}`);
    await ctx.writeMetrics({
      energy_sign: result.energy_sign,
      model_from: id,
      test_accuracy: result.test_accuracy,
      test_ce: result.test_ce,
      ece: result.ece,
      energy_test_mean: e.test.mean,
      energy_noise_mean: e.noise.mean,
      energy_samples_mean: e.samples.mean,
      test_below_noise: e.test.mean < e.noise.mean,
    });
  },
});
