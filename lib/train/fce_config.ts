/**
 * The config of `train-fce` (flow contrastive estimation, SPEC §5). Defaults are the FCE seed's
 * `train.py` arguments and model sizes; fields it does not have are marked "ours".
 *
 * @example
 * ```ts
 * import { TrainFceConfig } from "./fce_config.ts";
 * const config = TrainFceConfig.parse({ flow: "maf", steps: 3000 });
 * console.log(config.batch, config.threshold); // 1000 0.6
 * ```
 * @module
 */
import { z } from "zod";

/** Config of `train-fce`. */
export const TrainFceConfig = z.object({
  /** The flow model: `glow` (the seed's default) or `maf`. */
  flow: z.enum(["glow", "maf"]).default("glow"),
  /** Train the EBM while accuracy ≤ threshold, else the flow. */
  threshold: z.number().gt(0).lt(1).default(0.6),
  /** Data points per step; as many flow samples. */
  batch: z.number().int().positive().default(1000),
  /** Passes over the training points (the seed's 100 over 500,000 points: 50,000 steps). */
  epochs: z.number().int().positive().default(100),
  /** Ours: stop after this many steps instead of `epochs` full passes (null: epochs × ⌈N/batch⌉). */
  steps: z.number().int().positive().nullable().default(null),
  lr_ebm: z.number().positive().default(1e-3),
  lr_flow: z.number().positive().default(7e-4),
  /** Adam β₁ and β₂ (both models). */
  b1: z.number().min(0).lt(1).default(0.9),
  b2: z.number().min(0).lt(1).default(0.999),
  /** Width of the EBM's two hidden layers (the seed's 128). */
  ebm_hidden: z.number().int().positive().default(128),
  /** MAF: MADE blocks, hidden width, hidden layers per block (the seed's 5, 100, 1). */
  maf_blocks: z.number().int().positive().default(5),
  maf_hidden: z.number().int().positive().default(100),
  maf_n_hidden: z.number().int().min(0).default(1),
  /** Glow: coupling width, steps per level, levels; depth·(levels + 1) steps (the seed's 64, 5, 1). */
  glow_width: z.number().int().positive().default(64),
  glow_depth: z.number().int().positive().default(5),
  glow_levels: z.number().int().min(0).default(1),
  /**
   * Ours: what to do when a flow sample overflows float32 (MAF's sequential inverse can; so does
   * the seed's own recipe): `stop` (the seed's behaviour, a clear error) or `drop` (leave those
   * samples out of the batch and count them in metrics.jsonl's `dropped`).
   */
  overflow: z.enum(["stop", "drop"]).default("stop"),
  /** Ours: compute `mse_logp` (8gaussians only) every this many steps, and at the last. */
  eval_freq: z.number().int().positive().default(100),
  /** Ours: size of the fixed evaluation sample drawn once from the exact mixture. */
  eval_samples: z.number().int().positive().default(100_000),
  /** Ours: write the resumable state every this many steps. */
  checkpoint_freq: z.number().int().positive().default(1000),
  /** Ours: log a progress line every this many steps. */
  log_freq: z.number().int().positive().default(500),
  /** Ours: the summary averages −V and accuracy over this last fraction of the steps. */
  summary_fraction: z.number().gt(0).max(1).default(0.1),
  /** Ours: density grids for the figures: points per axis over [−grid_extent, grid_extent]². */
  grid_res: z.number().int().min(2).default(200),
  grid_extent: z.number().positive().default(4),
});

/** The parsed config. */
export type TrainFceConfig = z.output<typeof TrainFceConfig>;
