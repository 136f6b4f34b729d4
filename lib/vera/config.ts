/**
 * VERA's knobs (SPEC §7) under the seed's `train.py` flag names, with the seed's defaults. Fields
 * that are ours, not the seed's, are marked "(ours)". `n_epochs` and `decay_epochs` count epochs
 * as the seed does; on the 2-D toy data one epoch is one batch (the seed's toy loader), so
 * there they count iterations.
 *
 * @example
 * ```ts
 * import { VeraKnobs } from "./config.ts";
 * const k = VeraKnobs.parse({});
 * console.log(k.ent_weight, k.post_lr, k.beta1, k.max_sigma); // 1 0.02 0 0.3
 * ```
 * @module
 */
import { z } from "zod";

const positive = () => z.number().positive();
const nonNegative = () => z.number().nonnegative();
const count = () => z.number().int().positive();

/** The fields of {@link VeraKnobs}, for configs that add their own (`z.strictObject({ ...VERA_KNOBS, … })`). */
export const VERA_KNOBS = {
  /** EBM learning rate (Adam). */
  lr: positive().default(1e-3),
  /** Generator learning rate (Adam). */
  glr: positive().default(1e-3),
  /** Adam β₁ of both optimisers (seed: 0). */
  beta1: z.number().min(0).max(0.999999).default(0),
  /** Adam β₂ of both optimisers (seed: 0.9). */
  beta2: z.number().min(0).max(0.999999).default(0.9),
  weight_decay: nonNegative().default(0),
  batch_size: count().default(200),
  /** Epochs between multiplicative decays of both learning rates by `decay_rate` (MultiStepLR). */
  decay_epochs: z.array(nonNegative()).default([160, 180]),
  decay_rate: positive().default(0.3),
  /** Linear warm-up of both learning rates over this many iterations (0: none). */
  warmup_iters: nonNegative().default(0),
  /** Generator noise (latent) dimension: 2 on toy data, 128 on images. */
  noise_dim: count().default(2),
  /** Hidden width of the toy EBM and generator. */
  h_dim: count().default(100),
  /** σ is clamped to [min_sigma, max_sigma] after every step. */
  min_sigma: positive().default(0.01),
  max_sigma: positive().default(0.3),
  /** `vera` (importance-sampled posterior) or `verahmc` (HMC posterior). */
  generator_type: z.enum(["vera", "verahmc"]).default("vera"),
  /** λ, the entropy weight of the generator loss. */
  ent_weight: nonNegative().default(1),
  /** α, the cross-entropy weight (JEM and semi-supervised variants). */
  clf_weight: nonNegative().default(1),
  /** β, the weight of the unlabelled predictions' entropy. */
  clf_ent_weight: nonNegative().default(0),
  /** Step-size adaptation rate of the HMC posterior. */
  mcmc_lr: nonNegative().default(0.02),
  /** Adam learning rate of the posterior scale σ_post. */
  post_lr: positive().default(0.02),
  /** Weight of mean f(x_d)². */
  p_control: nonNegative().default(0),
  /** Weight of mean f(x_g)². */
  n_control: nonNegative().default(0),
  /** γ, the weight of mean ‖∇ₓ f(x_d)‖²/2. */
  pg_control: nonNegative().default(0),
  /** EBM step every `e_iters` iterations, generator step every `g_iters`. */
  e_iters: count().default(1),
  g_iters: count().default(1),
  /** K, importance samples of the `vera` estimator (the seed's `entropy_obj` default). */
  num_samples_posterior: count().default(20),
  /** (ours, the seed's hard-coded values) HMC posterior: burn-in and kept transitions, leapfrog steps, target acceptance. */
  hmc_burn_in: z.number().int().nonnegative().default(2),
  hmc_num_samples: count().default(2),
  hmc_leapfrog_steps: count().default(5),
  hmc_target_accept: z.number().gt(0).lt(1).default(0.67),
  /** (ours, the seed's hard-coded values) initial σ and σ_post. */
  init_sigma: positive().default(0.01),
  init_post_sigma: positive().default(0.1),
};

/** The check every config with the VERA knobs carries. */
export const sigmaRange: [(c: { min_sigma: number; max_sigma: number }) => boolean, { message: string; path: string[] }] = [
  (c) => c.min_sigma <= c.max_sigma,
  { message: "min_sigma must not exceed max_sigma", path: ["min_sigma"] },
];

/** The seed's VERA knobs with its defaults. */
export const VeraKnobs = z.strictObject(VERA_KNOBS).refine(...sigmaRange);
export type VeraKnobs = z.output<typeof VeraKnobs>;

/**
 * The learning rate of iteration `itr` (0-based): the seed's linear warm-up while
 * itr < warmup_iters, times decay_rate^(number of milestones ≤ itr), milestones at
 * `decay_epochs · batchesPerEpoch` (torch's MultiStepLR stepped once per iteration).
 *
 * @example
 * ```ts
 * scheduledLr(1e-3, 170, { warmup_iters: 0, decay_epochs: [160, 180], decay_rate: 0.3 }, 1); // 3e-4
 * ```
 */
export function scheduledLr(base: number, itr: number, k: Pick<VeraKnobs, "warmup_iters" | "decay_epochs" | "decay_rate">, batchesPerEpoch: number): number {
  let lr = base;
  for (const e of k.decay_epochs) if (itr >= Math.trunc(e * batchesPerEpoch)) lr *= k.decay_rate;
  if (itr < k.warmup_iters) lr *= (itr + 1) / k.warmup_iters;
  return lr;
}
