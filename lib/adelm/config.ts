/**
 * Config schemas shared by the `metastable-search` and `basin-cluster` tasks, with the defaults
 * and why they were chosen.
 *
 * Scale of the defaults: they suit an energy whose barriers are O(0.1–10) energy units and whose
 * minima are O(1–10) apart (the analytic wells of the tests, σ = 1). For a trained image model
 * set them relative to its scales, which `metastable-search` reports in its metrics
 * (`energy_spread`, `median_pair_distance`, `median_nn_distance`):
 * - AD moves by `(ε²/2)·α` per step towards the target, so δ must exceed that drift or a trial
 *   can step over the target; δ must also exceed the thermal radius around the target,
 *   ≈ (dim − 1)/α. `delta: "auto"` uses 2.5% of the median pairwise distance between minima —
 *   the ratio of the original ADELM setting (δ = 0.35 in a 100-d latent space whose typical
 *   distance is √200 ≈ 14).
 * - α·T is the pull in energy units per unit distance: a trial crosses a barrier only where the
 *   slope of U along its path stays below α·T. Use the critical-α search to calibrate it.
 * - The effective gradient step is ε²/(2T) on U; keep it well below 2/curvature (0.2 here for
 *   curvature 1), and keep the move it causes, (ε²/2T)·|∇U|, well below δ, or trials can never
 *   settle within δ of the target (a network's |∇U| at its metastable states can be several
 *   units: see below).
 * - A trial needs about distance / ((ε²/2)·α) steps to arrive, so `max_steps` must exceed the
 *   typical distance between minima divided by that drift.
 * - Measured on a VanillaNet (n_f 8) after 200 Fashion-MNIST iterations (ε_train = 0.01, so
 *   T = 5e-5; minima 8–26 apart, |∇f| ≈ 4): search ε = 0.005; AD ε = 0.002 with α = 2616
 *   (drift 0.005/step) left 30 of 40 minima as singletons — too slow to arrive, not separated;
 *   α = 2e4 or 5e4 (pull 1 or 2.5) merged all 32 minima into one basin; α = 6000 (pull 0.3),
 *   ε = 0.00277 (drift 0.023/step, gradient move ≈ 0.3), max_steps 1500 gave 3 basins (24, 6, 2)
 *   whose two smaller ones hold look-alike silhouettes (`pipelines/adelm-fmnist.yaml`). The thermal excess energy along a path is ≈ dim·T/2, which biases barrier
 *   estimates upwards, so T must be small against the barriers of interest (T = 0.02 in 2-D;
 *   scale it by 2/dim in higher dimension).
 *
 * @example
 * ```ts
 * import { attractionSchema } from "./config.ts";
 * const ad = attractionSchema.parse({ alpha: 50 }); // other fields take their defaults
 * ```
 * @module
 */
import { z } from "zod";

const clamp = z.tuple([z.number(), z.number()]).nullable().default(null);

/** Langevin settings of the metastable search. */
export const searchSchema = z.object({
  /** T_s: low enough that chains settle into the nearest minimum (original: 0.1 on its scale). */
  temperature: z.number().positive().default(0.02),
  /** ε; default gives a gradient step ε²/(2T) = 0.2 on U at the default temperature. */
  step_size: z.number().positive().default(0.089),
  /** Original ADELM search patience. */
  patience: z.number().int().positive().default(30),
  /** Original ADELM step cap. */
  max_steps: z.number().int().positive().default(5000),
  trace_every: z.number().int().positive().default(1),
  clamp,
});

/** Attraction-diffusion settings. */
export const attractionSchema = z.object({
  /** T of AD. The original used 20 on its (much larger) energy scale; see the module docs. */
  temperature: z.number().positive().default(0.02),
  /** ε; default: gradient step 0.2 on U at the default temperature. */
  step_size: z.number().positive().default(0.089),
  /** α on the U/T scale; default pull α·T = 1 energy unit per unit distance. */
  alpha: z.number().positive().default(50),
  /** Success radius; a number or "auto" (2.5% of the median distance between minima). */
  delta: z.union([z.number().positive(), z.literal("auto")]).default("auto"),
  /** Original ADELM AD patience. */
  patience: z.number().int().positive().default(40),
  max_steps: z.number().int().positive().default(5000),
  clamp,
});

/** How independent chains/trials are run. */
export const executionSchema = z.object({
  /** pool: fan out over the worker pool (CPU); batch: lockstep batches in-thread; serial: one by one. */
  mode: z.enum(["pool", "batch", "serial"]).default("pool"),
  /** States per energy call in batch mode (and the cap of a pool task's batch). */
  max_batch: z.number().int().positive().default(64),
  /**
   * Trials per pool task, run by the worker as one lockstep batch. 1 balances the load best for
   * cheap analytic energies; for networks (much cheaper per state in a batch) use e.g. 16.
   */
  jobs_per_task: z.number().int().positive().default(1),
});
