/**
 * VERA's latent-variable generator q(x) = ∫ N(x; g(h), σ²I) N(h; 0, I) dh (SPEC §7): the network
 * g, the learnable noise scale `logsigma` (init log 0.01, clamped to [log min_sigma, log max_sigma]
 * after every step), and the variational posterior's learnable scale `post_logsigma` (init
 * log 0.1 per latent dimension) with its own Adam optimiser at `post_lr` (torch's default betas,
 * as the seed's `VERAGenerator.post_optimizer`). The HMC alternative keeps its adapted leapfrog
 * step size in `stepsize` (init 1/noise_dim).
 *
 * State keys are the seed's `VERAGenerator.state_dict()` keys: `g.…`, `logsigma` [1],
 * `post_logsigma` [noise_dim], `stepsize` [] (as [1]).
 *
 * @example
 * ```ts ignore
 * import { VeraGenerator } from "./generator.ts";
 * import { toyGeneratorArch } from "../nets/generator.ts";
 * const gen = new VeraGenerator(toyGeneratorArch(2, 2, 100), { post_lr: 0.02 }, 1234);
 * const { x, h } = gen.sample(200, rng);       // x = g(h) + σ·ξ
 * gen.clampSigma(0.01, 0.3);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type GeneratorArch, GeneratorNet } from "../nets/generator.ts";
import type { NamedParam, StateDict } from "../nets/net.ts";
import { createOptimizer, type Optimizer } from "../ebm/optim.ts";
import type { Random } from "../util/random.ts";

const LOG_2PI = Math.log(2 * Math.PI);

/** Settings of the generator wrapper (the seed's names). */
export interface VeraGeneratorOptions {
  /** Adam learning rate of the posterior scale (seed default 0.02). */
  post_lr?: number;
  /** Initial σ (seed: 0.01). */
  init_sigma?: number;
  /** Initial posterior σ (seed: 0.1). */
  init_post_sigma?: number;
}

function vectorParam(key: string, values: Float32Array): NamedParam {
  return {
    key,
    spec: { key, torchShape: [values.length], layout: "vector", init: { kind: "zeros" } },
    variable: tf.variable(tf.tensor1d(values), true),
  };
}

/** The generator q(x, h) with σ, the posterior scale and the HMC step size. */
export class VeraGenerator {
  readonly net: GeneratorNet;
  readonly logsigma: NamedParam;
  readonly postLogsigma: NamedParam;
  readonly postOptimizer: Optimizer;
  /** HMC leapfrog step size (adapted by the HMC estimator; seed init 1/noise_dim). */
  stepsize: number;

  constructor(readonly arch: GeneratorArch, options: VeraGeneratorOptions, seed: number) {
    const postLr = options.post_lr ?? 0.02, sigma = options.init_sigma ?? 0.01, postSigma = options.init_post_sigma ?? 0.1;
    if (!(sigma > 0)) throw new Error(`Cannot create the VERA generator: 'init_sigma' must be positive, got ${sigma}`);
    if (!(postSigma > 0)) throw new Error(`Cannot create the VERA generator: 'init_post_sigma' must be positive, got ${postSigma}`);
    this.net = new GeneratorNet(arch, seed);
    this.logsigma = vectorParam("logsigma", new Float32Array([Math.log(sigma)]));
    this.postLogsigma = vectorParam("post_logsigma", new Float32Array(arch.noiseDim).fill(Math.log(postSigma)));
    this.postOptimizer = createOptimizer("adam", [this.postLogsigma], { lr: postLr });
    this.stepsize = 1 / arch.noiseDim;
  }

  /** Parameters the generator optimiser steps: g's and `logsigma` (the posterior scale has its own). */
  get params(): NamedParam[] {
    return [...this.net.params, this.logsigma];
  }

  /** Current σ. */
  sigma(): number {
    return Math.exp(this.logsigma.variable.dataSync()[0]);
  }

  /** Current posterior σ per latent dimension. */
  postSigma(): Float32Array {
    return (this.postLogsigma.variable.dataSync() as Float32Array).map(Math.exp);
  }

  /**
   * Draws h ~ N(0, I) and ξ ~ N(0, I) from `rng`; returns h, ξ, the mean g(h) and
   * x = g(h) + σ·ξ (the caller disposes all four). Inside a gradient tape, x depends on g's
   * weights and σ.
   */
  sample(n: number, rng: Random): { x: tf.Tensor2D; h: tf.Tensor2D; mu: tf.Tensor2D; xi: tf.Tensor2D } {
    const h = tf.tensor2d(rng.normalArray(n * this.arch.noiseDim), [n, this.arch.noiseDim]);
    const xi = tf.tensor2d(rng.normalArray(n * this.arch.dataDim), [n, this.arch.dataDim]);
    const mu = this.net.forward(h, { training: true });
    const x = tf.tidy(() => tf.add(mu, tf.mul(xi, tf.exp(this.logsigma.variable))) as tf.Tensor2D);
    return { x, h, mu, xi };
  }

  /**
   * log q(x, h) = log N(h; 0, I) + log N(x; g(h), σ²I) per row, and g(h) (the seed's
   * `logq_joint(x, h, return_mu=True)`). Differentiable in h, g's weights and σ.
   */
  logqJoint(x: tf.Tensor2D, h: tf.Tensor2D): { logq: tf.Tensor1D; mu: tf.Tensor2D } {
    return tf.tidy(() => {
      const mu = this.net.forward(h, { training: true });
      const logsigma = this.logsigma.variable;
      const d = x.shape[1], k = h.shape[1];
      const logph = tf.sub(tf.mul(tf.sum(tf.square(h), 1), -0.5), 0.5 * k * LOG_2PI);
      const z = tf.div(tf.sub(x, mu), tf.exp(logsigma));
      const logpx = tf.sub(tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), tf.mul(logsigma, d)), 0.5 * d * LOG_2PI);
      return { logq: tf.add(logph, logpx) as tf.Tensor1D, mu };
    });
  }

  /** Clamps σ into [sigmaMin, sigmaMax] (the seed's `clamp_sigma(max_sigma, sigma_min=min_sigma)`). */
  clampSigma(sigmaMin: number, sigmaMax: number): void {
    if (!(sigmaMin > 0) || !(sigmaMax >= sigmaMin)) throw new Error(`Cannot clamp σ: need 0 < min_sigma ≤ max_sigma, got ${sigmaMin} and ${sigmaMax}`);
    tf.tidy(() => this.logsigma.variable.assign(tf.clipByValue(this.logsigma.variable, Math.log(sigmaMin), Math.log(sigmaMax))));
  }

  /** The seed's state_dict: g's weights and statistics, `logsigma`, `post_logsigma`, `stepsize`. */
  stateDict(): StateDict {
    return {
      ...this.net.stateDict(),
      logsigma: { shape: [1], data: Float32Array.from(this.logsigma.variable.dataSync() as Float32Array) },
      post_logsigma: { shape: [this.arch.noiseDim], data: Float32Array.from(this.postLogsigma.variable.dataSync() as Float32Array) },
      stepsize: { shape: [1], data: new Float32Array([this.stepsize]) },
    };
  }

  /** Restores {@link stateDict} (the posterior optimiser's buffers travel separately). */
  loadStateDict(sd: StateDict, source = "generator state"): void {
    const rest: StateDict = {};
    for (const [k, v] of Object.entries(sd)) if (k.startsWith("g.")) rest[k] = v;
    this.net.loadStateDict(rest, source);
    for (const [key, p, n] of [["logsigma", this.logsigma, 1], ["post_logsigma", this.postLogsigma, this.arch.noiseDim]] as const) {
      const e = sd[key];
      if (!e || e.data.length !== n) throw new Error(`Cannot load ${source}: '${key}' must hold ${n} value(s)`);
      tf.tidy(() => p.variable.assign(tf.tensor1d(e.data)));
    }
    const s = sd.stepsize;
    if (!s || s.data.length !== 1) throw new Error(`Cannot load ${source}: 'stepsize' must hold 1 value`);
    this.stepsize = s.data[0];
  }

  dispose(): void {
    this.net.dispose();
    this.logsigma.variable.dispose();
    this.postLogsigma.variable.dispose();
    this.postOptimizer.dispose();
  }
}
