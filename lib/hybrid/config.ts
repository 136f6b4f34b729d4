/**
 * Config of `train-hybrid` (SPEC §6, seed 003). The seed's command-line flags keep their names
 * (`epochs`, `batch_size`, `langevin_steps`, `langevin_alpha`, `langevin_sigma`, `lr`) and the
 * defaults of its `config.py`: α 0.5, σ 0.05, η 50, Adam lr 1e-3, batch 64, 15 epochs. The seed's
 * README documents α 0.1, σ 0.01 instead — its `config.py` and `main.py` use 0.5 / 0.05, so those
 * are the defaults here; set `{ langevin_alpha: 0.1, langevin_sigma: 0.01 }` for the README's.
 * Fields that are ours, not the seed's, are marked "(ours)".
 *
 * @example
 * ```ts
 * import { TrainHybridConfig } from "./config.ts";
 * const c = TrainHybridConfig.parse({ epochs: 2 });
 * console.log(c.langevin_alpha, c.energy_sign); // 0.5 "jem"
 * ```
 * @module
 */
import { z } from "zod";

/** The seed README's Langevin step size and noise (its config file's are the defaults). */
export const SEED_README_LANGEVIN = { langevin_alpha: 0.1, langevin_sigma: 0.01 } as const;

/** Config of `train-hybrid`. */
export const TrainHybridConfig = z.strictObject({
  epochs: z.number().int().positive().default(15),
  batch_size: z.number().int().positive().default(64),
  /** η: Langevin steps per negative batch. */
  langevin_steps: z.number().int().nonnegative().default(50),
  /** α: step on the energy gradient, `x ← x − α∇ₓE + σ·N(0, I)`. */
  langevin_alpha: z.number().nonnegative().default(0.5),
  /** σ: Langevin noise scale. */
  langevin_sigma: z.number().nonnegative().default(0.05),
  /** Adam learning rate (PyTorch's default betas 0.9/0.999, eps 1e-8). */
  lr: z.number().positive().default(1e-3),
  /**
   * (ours) Per-iteration learning-rate decay `lr ← max(lr_min, lr·lr_decay)` (the anatomy repo's
   * names). 1 (default) keeps the seed's constant Adam learning rate.
   */
  lr_decay: z.number().positive().max(1).default(1),
  /** (ours) Floor of the decayed learning rate (used only when `lr_decay` < 1). */
  lr_min: z.number().nonnegative().default(0),
  /**
   * (ours) `jem`: E(x) = −LogSumExp(s), low energy = realistic, agreeing with the cross-entropy
   * (JEM's convention, the default). `seed`: the seed's literal E(x) = +LogSumExp(s).
   */
  energy_sign: z.enum(["jem", "seed"]).default("jem"),
  /** (ours) Weight of the contrastive term `mean E(x_real) − mean E(x_sample)`; 0 = the classifier-only baseline (no Langevin at all). */
  generative_weight: z.number().nonnegative().default(1),
  /**
   * (ours) λ of an energy-magnitude penalty `λ·(mean E(x_real)² + mean E(x_sample)²)` added to the
   * loss (Du & Mordatch 2019). 0 (default) is the seed's loss. Measured on Fashion-MNIST without it:
   * the energies run away (mean E(x_real) −170 after 200 iterations with JEM's sign, −1000 with the
   * README's α/σ) and accuracy stays near 55%; the seed's sign diverges (non-finite) near iteration 300.
   */
  energy_l2: z.number().nonnegative().default(0),
  /**
   * (ours) Where the [−1, 1] clamp applies: `final` (the seed's code: once, after the η steps) or
   * `step` (after every step).
   */
  langevin_clamp: z.enum(["final", "step"]).default("final"),
  /** (ours) Images held out of the training split for validation: the last `validation_size` of it. */
  validation_size: z.number().int().nonnegative().default(5000),
  /** (ours) Number of classes (logits); labels must lie in 0..classes−1. */
  classes: z.number().int().min(2).default(10),
  /** (ours) Hidden widths of the MLP (the seed's 512, 512, 512). */
  hidden: z.array(z.number().int().positive()).min(1).default([512, 512, 512]),
  /**
   * (ours) On a non-finite loss, energy or weight: `fail` stops the step with the iteration and the
   * value (the default); `stop` ends training there, keeps the last good checkpoint's weights as
   * the model and records `diverged_at` / `diverged_reason` in the metrics, so a comparison (the
   * seed's sign) still reaches its evaluation and the report.
   */
  on_diverge: z.enum(["fail", "stop"]).default("fail"),
  /** (ours) Iterations between resumable checkpoints (and at the end of every epoch). */
  log_freq: z.number().int().positive().default(100),
  /** (ours) Number of final iterations whose d_t / r_t are summarised in metrics.json. */
  summary_window: z.number().int().positive().default(2000),
});

/** The parsed config of `train-hybrid`. */
export type TrainHybridConfig = z.output<typeof TrainHybridConfig>;
