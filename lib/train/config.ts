/**
 * Config schemas of the training and sampling tasks. Every field keeps the name and meaning of
 * the paper's JSON configs (`configs/*.yaml`); defaults are the paper's own default configs
 * (`data_config.json`, `toy_config.json`, `eval_config.json`). Fields that are ours, not the
 * paper's, are marked "(ours)".
 *
 * @example
 * ```ts
 * import { TrainEbmConfig } from "./config.ts";
 * const config = TrainEbmConfig.parse({ data: "mnist", im_ch: 1, num_train_iters: 10 });
 * console.log(config.lr_init, config.n_f); // 0.05 32
 * ```
 * @module
 */
import { z } from "zod";

const count = () => z.number().int().positive();
const nonNegativeCount = () => z.number().int().nonnegative();
const positive = () => z.number().positive();
const nonNegative = () => z.number().nonnegative();

/** How negative samples start: the paper's `shortrun_init` / `init_type` / `longrun_init`. */
export const InitType = z.enum(["persistent", "data", "uniform", "gaussian"]);
export type InitType = z.infer<typeof InitType>;

/** The optimiser names of the paper's configs. */
export const OptimizerType = z.enum(["sgd", "adam"]);
export type OptimizerType = z.infer<typeof OptimizerType>;

/** Config of `train-ebm` (the paper's image `train_data.py` + `data_config.json`). */
export const TrainEbmConfig = z.strictObject({
  /** Dataset label (flowers, mnist, cifar10, fashion-mnist, …); the images come from the upstream dataset step. */
  data: z.string().min(1).default("flowers"),
  num_train_iters: count().default(200000),
  batch_size: count().default(100),
  seed: z.number().int().default(123),
  im_sz: count().default(32),
  im_ch: count().default(3),
  data_epsilon: nonNegative().default(1.5e-2),
  net_type: z.enum(["vanilla", "nonlocal"]).default("nonlocal"),
  optimizer_type: OptimizerType.default("sgd"),
  lr_init: positive().default(5e-2),
  lr_min: nonNegative().default(5e-4),
  lr_decay: z.number().positive().max(1).default(0.99995),
  epsilon: nonNegative().default(7.5e-3),
  num_shortrun_steps: nonNegativeCount().default(500),
  shortrun_init: InitType.default("persistent"),
  log_freq: count().default(100),
  log_longrun: z.boolean().default(true),
  log_longrun_freq: count().default(10000),
  num_longrun_steps: nonNegativeCount().default(100000),
  longrun_init: InitType.default("data"),
  /** (ours) Base width of the network. */
  n_f: count().default(32),
  /** (ours) Number of final iterations summarised in metrics.json. */
  summary_window: count().default(2000),
  /**
   * (ours) Number of states in the persistent bank (used when shortrun_init is persistent). Absent:
   * one state per data image, the paper's bank. A smaller bank is revisited more often, so its
   * chains carry their progress when the training budget is far below the paper's.
   */
  persistent_bank_size: count().optional(),
}).refine((c) => c.shortrun_init !== "persistent" || c.persistent_bank_size === undefined || c.persistent_bank_size >= c.batch_size, {
  message: "persistent_bank_size must be at least batch_size when shortrun_init is persistent",
  path: ["persistent_bank_size"],
});
export type TrainEbmConfig = z.output<typeof TrainEbmConfig>;

/** Config of `train-toy` (the paper's `train_toy.py` + `toy_config.json`). */
export const TrainToyConfig = z.strictObject({
  num_train_iters: count().default(200000),
  batch_size: count().default(100),
  seed: z.number().int().default(123),
  toy_type: z.enum(["gmm", "rings"]).default("rings"),
  toy_groups: count().default(4),
  toy_sd: positive().default(1.5e-1),
  toy_radius: positive().default(1.0),
  viz_res: z.number().int().min(2).default(200),
  kde_bw: positive().default(0.075),
  net_type: z.literal("toy").default("toy"),
  optimizer_type: OptimizerType.default("sgd"),
  lr_init: positive().default(1e-1),
  lr_min: nonNegative().default(1e-1),
  lr_decay: z.number().positive().max(1).default(1.0),
  epsilon: nonNegative().default(1.25e-1),
  num_mcmc_steps: nonNegativeCount().default(500),
  init_type: InitType.default("persistent"),
  /** Size of the persistent bank (used when init_type is persistent). */
  s_t_0_size: nonNegativeCount().default(10000),
  noise_init_factor: positive().default(2.0),
  log_info_freq: count().default(100),
  log_viz_freq: count().default(1000),
  batch_size_kde: z.number().int().min(2).default(10000),
  /** (ours) Number of final iterations summarised in metrics.json. */
  summary_window: count().default(2000),
}).refine((c) => c.init_type !== "persistent" || c.s_t_0_size >= c.batch_size, {
  message: "s_t_0_size must be at least batch_size when init_type is persistent",
  path: ["s_t_0_size"],
});
export type TrainToyConfig = z.output<typeof TrainToyConfig>;

/**
 * Sampler initialisation of the eval configs. The paper names the dataset (`flowers`, `mnist`,
 * `cifar10`) to mean "start from data"; those names are accepted as aliases of `data`.
 */
export const McmcInit = z.enum(["data", "uniform", "gaussian", "bank", "flowers", "mnist", "cifar10", "fashion-mnist"])
  .transform((v) => (v === "data" || v === "uniform" || v === "gaussian" || v === "bank" ? v : "data"));
export type McmcInit = z.output<typeof McmcInit>;

/** Builds the sampling config (the paper's `eval_config.json`) with the given defaults. */
function samplingConfig(defaults: { num_mcmc_steps: number; log_freq: number; mcmc_init: string; net_type: "vanilla" | "nonlocal" }) {
  return z.strictObject({
    batch_size: count().default(100),
    seed: z.number().int().default(123),
    im_sz: count().default(32),
    im_ch: count().default(3),
    net_type: z.enum(["vanilla", "nonlocal"]).default(defaults.net_type),
    /** A checkpoint file (`.safetensors`, or a PyTorch state_dict `.pth` in either torch.save format); when absent, the upstream training step's `checkpoint.safetensors`. */
    net_weight_path: z.string().min(1).optional(),
    train_epsilon: nonNegative().default(7.5e-3),
    temp_factor: positive().default(1),
    mcmc_init: McmcInit.default(defaults.mcmc_init as "data"),
    /** Step size; 0 means plain gradient descent x ← x − ∇(f/T), as the paper's eval.py (ULA only). */
    epsilon: nonNegative().default(7.5e-3),
    num_mcmc_steps: nonNegativeCount().default(defaults.num_mcmc_steps),
    use_mh_langevin: z.boolean().default(false),
    log_freq: count().default(defaults.log_freq),
    /** (ours) Base width of the network; must match the checkpoint. */
    n_f: count().default(32),
  });
}

/** Config of `longrun-sample` (defaults: the paper's `eval_config.json`, 250k steps from data). */
export const LongrunSampleConfig = samplingConfig({ num_mcmc_steps: 250000, log_freq: 500, mcmc_init: "data", net_type: "nonlocal" });
export type LongrunSampleConfig = z.output<typeof LongrunSampleConfig>;

/** Config of `eval-sample` (defaults: `eval_flowers_nonconvergent.json`, 150 short-run steps from noise). */
export const EvalSampleConfig = samplingConfig({ num_mcmc_steps: 150, log_freq: 50, mcmc_init: "uniform", net_type: "vanilla" });
export type EvalSampleConfig = z.output<typeof EvalSampleConfig>;
export type SamplingConfig = LongrunSampleConfig;

/**
 * Learning rates after the paper's noise-invariant tuning: with SGD and ε > 0, `lr_init` and
 * `lr_min` are multiplied by ε²/2 (the loss is scaled by 2/ε², so this keeps the step the same).
 */
export function effectiveLearningRates(c: { optimizer_type: OptimizerType; epsilon: number; lr_init: number; lr_min: number }): { lrInit: number; lrMin: number } {
  const scale = c.optimizer_type === "sgd" && c.epsilon > 0 ? (c.epsilon * c.epsilon) / 2 : 1;
  return { lrInit: c.lr_init * scale, lrMin: c.lr_min * scale };
}

/** Sampling temperature T = temp_factor · ε_train²/2 (temp_factor alone when ε_train = 0). */
export function samplingTemperature(c: { temp_factor: number; train_epsilon: number }): number {
  return c.train_epsilon > 0 ? (c.temp_factor * c.train_epsilon * c.train_epsilon) / 2 : c.temp_factor;
}
