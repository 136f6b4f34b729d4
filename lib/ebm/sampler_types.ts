/**
 * The samplers' option and result types (`langevin.ts` re-exports them), apart so that the fused
 * chain (`langevin_chain.ts`) can share them without importing the samplers.
 *
 * @example
 * ```ts
 * import type { SamplerOptions } from "./sampler_types.ts";
 * import { Random } from "../util/random.ts";
 * const options: SamplerOptions = { steps: 100, epsilon: 0.01, rng: new Random(1) };
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../util/random.ts";

/** Per-step diagnostics (means over the batch). */
export interface StepRecord {
  /** 1-based step index. */
  step: number;
  /**
   * Mean energy at the states the step started from (the evaluation that drove it): f(x) for
   * the training sampler, f/T for ULA and MALA (the paper's eval.py units).
   */
  energy: number;
  /** Mean per-image L2 norm of the gradient term of the update (training: ∇f; ULA/MALA: (ε²/2)∇(f/T)). */
  gradNorm: number;
  /** MALA only: fraction of chains whose proposal was accepted. */
  acceptRate?: number;
  /** ULA/MALA: per chain f/T at the state the step started from (as the paper's eval.py records it). */
  chainEnergy?: Float32Array;
  /** ULA/MALA: per chain ‖gradient term‖ of the step ((ε²/2)‖∇(f/T)‖; ‖∇(f/T)‖ when ε = 0). */
  chainGradNorm?: Float32Array;
}

/** Options shared by every sampler. */
export interface SamplerOptions {
  steps: number;
  epsilon: number;
  /** Source of the Gaussian noise (and MALA's uniforms): same seed → same chain. */
  rng: Random;
  /** Keep a record every this many steps (default 1); the last step is always recorded. */
  recordEvery?: number;
  /** Called after each recorded step, e.g. for progress output. */
  onRecord?: (record: StepRecord) => void;
}

/** Result of a sampler run. */
export interface SamplerResult {
  /** Final states (caller disposes). */
  x: tf.Tensor;
  records: StepRecord[];
}

/** Result of the training sampler: final states, r_t and per-step records. */
export interface LangevinResult extends SamplerResult {
  /** Mean over steps of the batch-mean per-image ‖∇f(x)‖₂ (the paper's r_t). */
  rT: number;
}

