/**
 * One VERA training iteration (SPEC §7, the seed's `train.py` main branch), shared by every VERA
 * problem (toy, tabular, images):
 * 1. sample h ~ N(0, I), x_g = g(h) + σξ;
 * 2. every `e_iters` iterations one Adam step of the EBM on {@link veraEbmLoss} (x_g constant);
 * 3. every `g_iters` iterations: the entropy-gradient score c at (x_g, h) (`vera`: importance
 *    sampling plus the posterior's own ELBO step; `verahmc`: HMC with step-size adaptation), then
 *    one Adam step of g and σ on `−(mean f(x_g) + ent_weight·mean(Σ c·x_g))` with the just-updated
 *    EBM;
 * 4. clamp σ to [min_sigma, max_sigma]; the learning rates follow {@link scheduledLr}.
 *
 * Random numbers come from the caller's stream (one per iteration, see lib/train/streams.ts), so
 * a resumed run repeats an uninterrupted one. Resumable state: {@link VeraTrainer.stateTensors}.
 *
 * @example
 * ```ts ignore
 * import { VeraTrainer, energyModel } from "./trainer.ts";
 * const trainer = new VeraTrainer(energyModel(net), gen, knobs, 1);
 * const stats = trainer.iterate(0, xData, streamFor(seed, 1, "sample"));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EnergyNet, NamedParam } from "../nets/net.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import type { Random } from "../util/random.ts";
import { createOptimizer, type Optimizer } from "../ebm/optim.ts";
import { stateDictTensors, tensorsToStateDict } from "../train/model.ts";
import { perImageNorm } from "../ebm/langevin.ts";
import { scheduledLr, type VeraKnobs } from "./config.ts";
import type { VeraGenerator } from "./generator.ts";
import { entropySurrogate, hmcScore, posteriorScore, type ScoreEstimate } from "./entropy.ts";
import { crossEntropy, type LogDensityModel, veraEbmLoss } from "./losses.ts";

/** A trainable log-density model. */
export interface VeraModel extends LogDensityModel {
  readonly params: NamedParam[];
}

/** An energy network as a log-density model, f = −E. */
export function energyModel(net: EnergyNet): VeraModel {
  return { params: net.params, logp: (x) => tf.neg(net.energy(x)) as tf.Tensor1D };
}

/** What one iteration logs. */
export interface VeraStepStats {
  /** mean E(x_d) − mean E(x_g) = −(the seed's log p obj); the anatomy paper's d_t on the energy. */
  d_t: number;
  /** mean ‖∇ₓ f(x_g)‖ (the seed's `ebm gn`), the counterpart of the anatomy paper's r_t. */
  r_t: number;
  /** mean ‖c‖ of the entropy score (the seed's `ent gn`). */
  ent_gn: number;
  sigma: number;
  /** Mean σ_post (vera) or the HMC step size (verahmc). */
  post_sigma: number;
  hmc_accept: number | null;
  ce: number;
  train_acc: number;
  /** mean E(x_d) = −mean f(x_d) (NaN on iterations without an EBM step). */
  energy_data: number;
}

/** Labelled batch for the semi-supervised and JEM variants. */
export interface LabelledBatch {
  x: tf.Tensor;
  labels: tf.Tensor1D;
}

/** The EBM and generator optimisers of a VERA run and the iteration. */
export class VeraTrainer {
  readonly eOptimizer: Optimizer;
  readonly gOptimizer: Optimizer;

  constructor(readonly model: VeraModel, readonly gen: VeraGenerator, readonly knobs: VeraKnobs, readonly batchesPerEpoch: number) {
    const opts = { lr: knobs.lr, betas: [knobs.beta1, knobs.beta2] as [number, number], weightDecay: knobs.weight_decay };
    this.eOptimizer = createOptimizer("adam", model.params, opts);
    this.gOptimizer = createOptimizer("adam", gen.params, { ...opts, lr: knobs.glr });
  }

  /** Iteration `itr` (0-based) on the data batch `xData` (and a labelled batch for the classifier terms). */
  iterate(itr: number, xData: tf.Tensor, rng: Random, labelled?: LabelledBatch): VeraStepStats {
    const k = this.knobs, gen = this.gen, b = k.batch_size;
    this.eOptimizer.lr = scheduledLr(k.lr, itr, k, this.batchesPerEpoch);
    this.gOptimizer.lr = scheduledLr(k.glr, itr, k, this.batchesPerEpoch);
    const { x: xg, h, mu, xi } = gen.sample(b, rng);
    mu.dispose();
    const stats: VeraStepStats = { d_t: NaN, r_t: NaN, ent_gn: 0, sigma: 0, post_sigma: 0, hmc_accept: null, ce: 0, train_acc: 0, energy_data: NaN };
    try {
      if (itr % k.e_iters === 0) {
        let parts!: { logpObj: number; logpData: number; ce: number; acc: number };
        const { value, grads } = tf.variableGrads(() => {
          const p = veraEbmLoss(this.model, { xData, xGen: xg, xLabelled: labelled?.x, labels: labelled?.labels }, k);
          parts = { logpObj: p.logpObj.dataSync()[0], logpData: p.logpData.dataSync()[0], ce: p.ce.dataSync()[0], acc: p.accuracy.dataSync()[0] };
          return p.loss;
        }, this.model.params.map((p) => p.variable));
        const loss = value.dataSync()[0];
        stats.d_t = -parts.logpObj;
        stats.energy_data = -parts.logpData;
        stats.ce = parts.ce;
        stats.train_acc = parts.acc;
        if (Number.isFinite(loss)) this.eOptimizer.step(byKey(this.model.params, grads));
        tf.dispose([value, ...Object.values(grads)]);
      } else {
        stats.d_t = tf.tidy(() => tf.sub(tf.mean(this.model.logp(xg)), tf.mean(this.model.logp(xData))).dataSync()[0]);
      }
      if (itr % k.g_iters === 0) {
        stats.r_t = tf.tidy(() => tf.mean(perImageNorm(tf.grad((x: tf.Tensor) => tf.sum(this.model.logp(x)))(xg))).dataSync()[0]);
        let est: ScoreEstimate | null = null;
        if (k.ent_weight !== 0) {
          if (k.generator_type === "vera") {
            est = posteriorScore(gen, xg, h, { numSamples: k.num_samples_posterior, rng });
          } else {
            const r = hmcScore(gen, xg, h, {
              burnIn: k.hmc_burn_in, numSamples: k.hmc_num_samples, leapfrog: k.hmc_leapfrog_steps,
              adaptLr: k.mcmc_lr, targetAccept: k.hmc_target_accept, rng,
            });
            stats.hmc_accept = r.acceptRate;
            est = r;
          }
          stats.ent_gn = est.scoreNorm;
        }
        const { value, grads } = tf.variableGrads(() => {
          const x = tf.add(gen.net.forward(h, { training: true, updateStats: false }), tf.mul(xi, tf.exp(gen.logsigma.variable))) as tf.Tensor2D;
          const logpObj = tf.mean(this.model.logp(x));
          const obj = est ? tf.add(logpObj, tf.mul(entropySurrogate(est.score, x), k.ent_weight)) : logpObj;
          return tf.neg(obj) as tf.Scalar;
        }, gen.params.map((p) => p.variable));
        if (Number.isFinite(value.dataSync()[0])) this.gOptimizer.step(byKey(gen.params, grads));
        tf.dispose([value, ...Object.values(grads)]);
        est?.score.dispose();
      }
      gen.clampSigma(k.min_sigma, k.max_sigma);
      stats.sigma = gen.sigma();
      stats.post_sigma = k.generator_type === "vera" ? mean(gen.postSigma()) : gen.stepsize;
      return stats;
    } finally {
      tf.dispose([xg, h, xi]);
    }
  }

  /**
   * The supervised-only baseline's iteration: one Adam step of the model on `clf_weight`·CE of the
   * labelled batch (the same optimiser, betas and learning-rate schedule as {@link iterate}; no
   * generator, no EBM term). Returns the CE and the batch accuracy.
   */
  supervisedStep(itr: number, labelled: LabelledBatch): { ce: number; train_acc: number } {
    const k = this.knobs, logits = this.model.logits;
    if (!logits) throw new Error("Cannot train supervised-only: the model has no logits");
    this.eOptimizer.lr = scheduledLr(k.lr, itr, k, this.batchesPerEpoch);
    let ce = NaN, acc = NaN;
    const { value, grads } = tf.variableGrads(() => {
      const l = logits(labelled.x);
      const loss = crossEntropy(l, labelled.labels);
      ce = loss.dataSync()[0];
      acc = tf.mean(tf.cast(tf.equal(tf.argMax(l, 1), tf.cast(labelled.labels, "int32")), "float32")).dataSync()[0];
      return tf.mul(loss, k.clf_weight) as tf.Scalar;
    }, this.model.params.map((p) => p.variable));
    if (Number.isFinite(value.dataSync()[0])) this.eOptimizer.step(byKey(this.model.params, grads));
    tf.dispose([value, ...Object.values(grads)]);
    return { ce, train_acc: acc };
  }

  /** Weights and optimiser state: `net.*`, `optim.*`, `gen.*`, `gen_optim.*`, `post_optim.*`, step counts. */
  stateTensors(): Record<string, NamedTensor> {
    const netSd: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const p of this.model.params) netSd[p.key] = { shape: [...p.variable.shape], data: Float32Array.from(p.variable.dataSync() as Float32Array) };
    const steps = (o: Optimizer): NamedTensor => ({ dtype: "F64", shape: [1], data: new Float64Array([o.stepCount]) });
    return {
      ...stateDictTensors(netSd, "net."),
      ...stateDictTensors(this.eOptimizer.stateDict(), "optim."),
      ...stateDictTensors(this.gen.stateDict(), "gen."),
      ...stateDictTensors(this.gOptimizer.stateDict(), "gen_optim."),
      ...stateDictTensors(this.gen.postOptimizer.stateDict(), "post_optim."),
      "optim.step": steps(this.eOptimizer),
      "gen_optim.step": steps(this.gOptimizer),
      "post_optim.step": steps(this.gen.postOptimizer),
      // The HMC step size in full precision (gen.stepsize is float32, like the seed's buffer).
      "gen.stepsize_f64": { dtype: "F64", shape: [1], data: new Float64Array([this.gen.stepsize]) },
    };
  }

  /** Restores {@link stateTensors}. */
  restore(t: Record<string, NamedTensor>, source: string): void {
    const need = (key: string) => {
      const v = t[key];
      if (!v) throw new Error(`Cannot restore the VERA state from ${source}: tensor '${key}' is missing`);
      return Number(v.data[0]);
    };
    for (const p of this.model.params) {
      const v = t[`net.${p.key}`];
      if (!v || v.data.length !== p.variable.size) throw new Error(`Cannot restore the VERA state from ${source}: tensor 'net.${p.key}' is missing or has the wrong size`);
      tf.tidy(() => p.variable.assign(tf.tensor(v.data as Float32Array, p.variable.shape)));
    }
    this.gen.loadStateDict(tensorsToStateDict(Object.fromEntries(Object.entries(t).filter(([k]) => k !== "gen.stepsize_f64")), "gen."), source);
    this.gen.stepsize = need("gen.stepsize_f64");
    const sub = (prefix: string) => tensorsToStateDict(Object.fromEntries(Object.entries(t).filter(([k]) => k !== `${prefix}step`)), prefix);
    this.eOptimizer.loadStateDict(sub("optim."), this.eOptimizer.lr, need("optim.step"), source);
    this.gOptimizer.loadStateDict(sub("gen_optim."), this.gOptimizer.lr, need("gen_optim.step"), source);
    this.gen.postOptimizer.loadStateDict(sub("post_optim."), this.gen.postOptimizer.lr, need("post_optim.step"), source);
  }
}

function byKey(params: NamedParam[], grads: tf.NamedTensorMap): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const p of params) {
    const g = grads[p.variable.name];
    if (g !== undefined) out[p.key] = g;
  }
  return out;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
