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
 *   α = 2e4 or 5e4 (pull 1 or 2.5) merged all 32 minima into one basin. That model's training
 *   diverged later (lr 2e-4, 40 short-run steps: d_t −3e16 at 800 iterations).
 * - Image space, as set in `pipelines/adelm-fmnist.yaml` (stable VanillaNet n_f 8, 600
 *   iterations, |∇f| ≈ 0.24 at the search's end states), and why:
 *   - Search at the training sampler (T = ε²/2, ε = ε_train) long enough that chains stop by
 *     patience: minima that are still descending make AD towards the deepest one trivially
 *     succeed (after 300 steps, everything joined basin 0 even at pull 0.025).
 *   - AD with the gradient step of training (ε² = 2T, one unit on f per step), so the per-step
 *     moves read directly: gradient |∇f|, magnet α·T, noise √(2T·dim). The magnet's thermal
 *     radius around a target is ≈ (dim − 1)/α = dim·T/pull: at the pulls that matter here
 *     (≈ 0.01) and T_AD = T_train = 5e-5 it is ≈ 5, far above δ ≈ 0.6, so trials could never
 *     settle; T_AD = T_train/10 brings it to ≈ 0.4. (With the unconverged 300-step minima the
 *     critical pulls sat in one narrow band, 0.09–0.2, at either temperature.)
 *   - `alpha: "auto"` ({@link autoAlphaSchema}): the critical pulls of 12 neighbouring pairs
 *     spread over ×9 (0.004–0.04) with no step above ×1.52 — a continuum, not a gap — so the
 *     gap rule falls back to the median. A fixed α cannot carry over between models: on the
 *     earlier model a pull of 0.3 still separated minima; on this one 0.025 merged them.
 * - The convergent NonlocalNet of `basins-fashion --profile cpu` (n_f 8, 1800 iterations, bank
 *   of 1000; minima searched from 20,000-step long-run states at T_train/10): the 16 critical
 *   pulls were 0.0034–0.0118 and each sat ×1.15–1.2 above distance/max_steps, the pull at which
 *   AD can first arrive in `max_steps` = 2000 steps — every pair connected as soon as it could
 *   travel (`auto_alpha.curve[].travel_limited`, and a warning). With max_steps 8000 (4 pairs)
 *   they fell to 0.0025–0.0055, where the magnet's thermal radius (dim−1)/α reaches δ. So no
 *   barrier steeper than a pull of ~0.005 separates neighbouring long-run minima of that model;
 *   its basins at CPU budgets are neighbourhoods of minima (whose members do look alike).
 * - Step size, measured on `adelm-fmnist` (2026-11-22; VanillaNet n_f 8, 600 iterations, 32
 *   minima, 11 calibration pairs): unadjusted Langevin at ε = 0.00316 and at ε/2 (patience and
 *   max_steps ×4) gives the same critical α for 8 of the 11 pairs and values two sweep steps
 *   (×1.32) apart for the other 3, the same α = 2505 (pull 0.0125) and 7 basins both times; so
 *   the ULA basins there are not an artefact of ε.
 *   `sampler: mh` is impractical at that temperature: T = 5e-6 with a piecewise-linear
 *   (leaky-ReLU) energy makes each step drift-dominated (|∇U|/T ≈ 5e4), MH accepted 44% of
 *   proposals at ε and still 41% at ε/2, trials stalled until patience, and only pulls of 6
 *   (ε) and 24 (ε/2) connected pairs — the magnet's own drift per step, not a barrier. MH needs
 *   a gradient step (ε²/2)/T ≪ 1 there, i.e. ≳100× more steps per trial.
 *   The thermal excess energy along a path is ≈ dim·T/2, which biases barrier
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
  /**
   * α on the U/T scale; default pull α·T = 1 energy unit per unit distance. "auto": from the
   * critical-α spectrum of neighbouring minima (`lib/adelm/auto_alpha.ts`, settings in
   * {@link autoAlphaSchema}) — the recommended choice for a trained network.
   */
  alpha: z.union([z.number().positive(), z.literal("auto")]).default(50),
  /** Success radius; a number or "auto" (2.5% of the median distance between minima). */
  delta: z.union([z.number().positive(), z.literal("auto")]).default("auto"),
  /** Original ADELM AD patience. */
  patience: z.number().int().positive().default(40),
  max_steps: z.number().int().positive().default(5000),
  clamp,
  /**
   * When two minima count as connected (clustering, auto α and the critical-α search): AD reaching
   * δ in `either` direction (SPEC §4, the default) or in `both`. The representative is the lower
   * minimum, so `either` merges a minimum whose escape over the saddle is easy: the barrier seen
   * from the higher minimum, which is what a disconnectivity graph merges by. `both` also needs
   * the climb out of the lower minimum's well, whose steepness is the deeper well's wall, not the
   * barrier between the two; on a landscape with a narrow deep well it splits off a minimum with
   * a tiny escape barrier while merging a pair separated by a larger one
   * (tests/adelm/success_rule_test.ts). Barriers (`barrier`) always take the lowest path maximum
   * of the successful trials of either direction.
   */
  success: z.enum(["either", "both"]).default("either"),
  /**
   * `langevin` (default): unadjusted Langevin steps, as in the original ADELM code. `mh`: the same
   * proposals with a Metropolis–Hastings test (SPEC §4.3, "Langevin (or MH)"), so that the chain
   * samples exp(−U/T − α‖x − x*‖) exactly whatever ε; `basin-cluster` reports the mean acceptance
   * rate. A low rate (≪ 0.5) means ε is large for the landscape: rejections then stall trials,
   * which fail by `patience`.
   */
  sampler: z.enum(["langevin", "mh"]).default("langevin"),
});

/** How independent chains/trials are run. */
export const executionSchema = z.object({
  /** pool: fan out over the worker pool (CPU); batch: lockstep batches in-thread; serial: one by one. */
  mode: z.enum(["pool", "batch", "serial"]).default("pool"),
  /** States per energy call in batch mode (and the cap of a pool task's batch). */
  max_batch: z.number().int().positive().default(64),
  /**
   * Trials each pool worker keeps in flight as one lockstep batch (capped by `max_batch`),
   * refilled as they finish; workers claim trials from a shared board, so load balance does not
   * depend on it. Networks are much cheaper per state in a batch (VanillaNet n_f 8: 7.2 ms for
   * one state, 0.96 ms each in batches of 16), so use e.g. 8–16 for them; 1 for cheap energies.
   */
  jobs_per_task: z.number().int().positive().default(1),
});

/**
 * Settings of `ad.alpha: auto` (see `lib/adelm/auto_alpha.ts`). Defaults: a sweep ratio of 1.15
 * (the SPEC's single-pair scan uses 1.05; a spectrum only needs its gaps, which are wider, and
 * each ×10 of α costs 16 rounds instead of 47); ×4 steps reach a pull that connects every pair
 * in a round or two, and ×4 steps down bracket every pair in a few more; 60 rounds leave ~45 for
 * the fine sweep, ~10 per ×4 bracket; 16 pairs of nearest distinct minima show the spectrum's gaps at a cost
 * of 32 trials per round; the central range [0.2, 0.8] keeps at least a fifth of the neighbour
 * pairs on each side, so neither all minima merge nor all stay apart.
 */
export const autoAlphaSchema = z.object({
  /** Calibration pairs (each distinct minimum with its nearest distinct neighbour, lowest minima first). */
  pairs: z.number().int().positive().default(16),
  /** First α tried; default 1/T, a pull of one energy unit per unit distance. */
  start: z.number().positive().optional(),
  factor: z.number().gt(1).default(1.15),
  expand: z.number().gt(1).default(4),
  max_rounds: z.number().int().positive().default(60),
  reps: z.number().int().positive().default(1),
  /** gap: widest log gap of the sorted critical values within `range`; quantile: the `q` quantile. */
  rule: z.enum(["gap", "quantile"]).default("gap"),
  range: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.2, 0.8]),
  /** Rule gap: a widest gap narrower than this ratio is no gap; then the `q` quantile is used. */
  min_gap: z.number().gt(1).default(2),
  /** Quantile of rule quantile, and the gap rule's fallback (0.5: half of the neighbour pairs merge). */
  q: z.number().min(0).max(1).default(0.5),
  /** Minima within this many δ of a lower one are duplicates, not calibration pairs. */
  separation: z.number().positive().default(4),
});
