/**
 * Estimators of the generator's entropy gradient ∇H(q) (SPEC §7). Both return the score
 * estimate c ≈ −∇ₓ log q(x) for each sample, detached; the generator's loss then uses the
 * surrogate `mean_batch(Σ_d c·x)` ({@link entropySurrogate}), whose gradient with respect to the
 * generator (through x = g(h) + σξ) is an estimate of ∇H(q), because
 * −∇ₓ log q(x) = E_{h∼q(h|x)}[(x − g(h))/σ²].
 *
 * - {@link posteriorScore} (the default "vera" estimator): K samples h_k ~ N(h₀, diag(σ_post²))
 *   around the h₀ that produced x, self-normalised importance weights
 *   w_k = softmax_k[log q(x, h_k) − log N(h_k; h₀, σ_post²)], c = Σ_k w_k (x − g(h_k))/σ². In the
 *   same call σ_post takes one Adam step on the ELBO E[log q(x, h)] + H(N(h₀, σ_post²)) (a
 *   reparameterised single sample), as the seed does. Self-normalised importance sampling is
 *   biased: its bias is O(1/K) (delta method: the ratio of two K-sample means), its standard
 *   error O(1/√K); `tests/vera/entropy_test.ts` measures both against the closed form.
 * - {@link hmcScore} ("verahmc"): posterior samples by HMC started at h₀ (see `hmc.ts`),
 *   c = (x − mean_s g(h_s))/σ².
 *
 * @example
 * ```ts ignore
 * import { entropySurrogate, posteriorScore } from "./entropy.ts";
 * const { score } = posteriorScore(gen, xDetached, h, { numSamples: 20, rng });
 * const loss = () => tf.neg(entropySurrogate(score, gen.sample(…).x)); // inside variableGrads
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../util/random.ts";
import type { VeraGenerator } from "./generator.ts";
import { hmcPosterior, type HmcOptions } from "./hmc.ts";

const LOG_2PI = Math.log(2 * Math.PI);

/** A score estimate and the seed's logged statistic. */
export interface ScoreEstimate {
  /** c ≈ −∇ₓ log q(x), [B, D], detached (caller disposes). */
  score: tf.Tensor2D;
  /** Mean over the batch of ‖c‖₂ (the seed's `ent gn`). */
  scoreNorm: number;
}

/** Options of {@link posteriorScore}. */
export interface PosteriorOptions {
  /** K, the number of importance samples (seed default 20). */
  numSamples: number;
  rng: Random;
  /** Take the posterior's Adam step on the ELBO (default true; false freezes σ_post, e.g. in evaluation). */
  learnPostSigma?: boolean;
}

/**
 * The importance-sampled score estimate at x (with its generating h₀), and one ELBO step of
 * σ_post. `x` and `h` are treated as constants.
 */
export function posteriorScore(gen: VeraGenerator, x: tf.Tensor2D, h: tf.Tensor2D, o: PosteriorOptions): ScoreEstimate {
  const k = o.numSamples;
  if (!Number.isInteger(k) || k < 1) throw new Error(`Cannot estimate the entropy gradient: 'num_samples_posterior' must be a positive integer, got ${k}`);
  const [b, d] = x.shape, hd = h.shape[1];
  const eps = o.rng.normalArray(k * b * hd);
  const score = tf.tidy(() => {
    const xc = x, hc = h;
    const ls = gen.postLogsigma.variable;
    const e = tf.tensor3d(eps, [k, b, hd]);
    const hk = tf.reshape(tf.add(tf.expandDims(hc, 0), tf.mul(e, tf.exp(ls))), [k * b, hd]) as tf.Tensor2D;
    // log N(h_k; h₀, σ_post²) summed over latent dimensions: −½ε² − log σ_post − ½ log 2π.
    const infLog = tf.sub(tf.mul(tf.sum(tf.square(e), 2), -0.5), tf.add(tf.sum(ls), 0.5 * hd * LOG_2PI));
    const xr = tf.reshape(tf.tile(tf.expandDims(xc, 0), [k, 1, 1]), [k * b, d]) as tf.Tensor2D;
    const { logq, mu } = gen.logqJoint(xr, hk);
    const w = tf.softmax(tf.transpose(tf.sub(tf.reshape(logq, [k, b]), infLog)), 1); // [B, K]
    const sigma2 = tf.exp(tf.mul(gen.logsigma.variable, 2));
    const fvals = tf.div(tf.sub(tf.expandDims(xc, 0), tf.reshape(mu, [k, b, d])), sigma2); // [K, B, D]
    return tf.sum(tf.mul(fvals, tf.expandDims(tf.transpose(w), 2)), 0) as tf.Tensor2D;
  });
  if (o.learnPostSigma ?? true) posteriorElboStep(gen, x, h, o.rng);
  return { score, scoreNorm: meanRowNorm(score) };
}

/**
 * One Adam step of σ_post on −mean[log q(x, h₀ + σ_post·ε) + H(N(h₀, σ_post²))] (the seed's
 * `post_loss`); returns the ELBO before the step.
 */
export function posteriorElboStep(gen: VeraGenerator, x: tf.Tensor2D, h: tf.Tensor2D, rng: Random): number {
  const [b, hd] = h.shape;
  const e = tf.tensor2d(rng.normalArray(b * hd), [b, hd]);
  const xc = x, hc = h;
  const { value, grads } = tf.variableGrads(() => {
    const ls = gen.postLogsigma.variable;
    const hp = tf.add(hc, tf.mul(e, tf.exp(ls))) as tf.Tensor2D;
    const { logq, mu } = gen.logqJoint(xc, hp);
    mu.dispose();
    const ent = tf.add(tf.sum(ls), 0.5 * hd * (1 + LOG_2PI));
    return tf.neg(tf.mean(tf.add(logq, ent))) as tf.Scalar;
  }, [gen.postLogsigma.variable]);
  const elbo = -value.dataSync()[0];
  gen.postOptimizer.step({ post_logsigma: grads[gen.postLogsigma.variable.name] });
  tf.dispose([value, e, ...Object.values(grads)]);
  return elbo;
}

/** Options of {@link hmcScore}: the HMC chain settings (seed: 2 burn-in, 2 kept, 5 leapfrog, adapt 0.02 towards 0.67). */
export type HmcScoreOptions = Omit<HmcOptions, "stepsize">;

/** The HMC score estimate; adapts and stores `gen.stepsize`. Returns also the per-chain acceptance rates. */
export function hmcScore(gen: VeraGenerator, x: tf.Tensor2D, h: tf.Tensor2D, o: HmcScoreOptions): ScoreEstimate & { acceptRate: number } {
  const sigma = gen.sigma();
  const result = hmcPosterior((hh) => gen.net.forward(hh, { training: true, updateStats: false }), x, h, sigma, { ...o, stepsize: gen.stepsize });
  gen.stepsize = result.stepsize;
  const score = tf.tidy(() => {
    const [b, d] = x.shape;
    const mu = gen.net.forward(result.samples, { training: true });
    const mean = tf.mean(tf.reshape(mu, [o.numSamples, b, d]), 0);
    return tf.div(tf.sub(x, mean), sigma * sigma) as tf.Tensor2D;
  });
  result.samples.dispose();
  let acc = 0;
  for (const a of result.acceptRate) acc += a;
  return { score, scoreNorm: meanRowNorm(score), acceptRate: acc / result.acceptRate.length };
}

/** `mean_batch(Σ_d c·x)`: its gradient through x is the entropy-gradient estimate. */
export function entropySurrogate(score: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(score, x)), x.shape[0]) as tf.Scalar);
}

function meanRowNorm(c: tf.Tensor2D): number {
  return tf.tidy(() => tf.mean(tf.sqrt(tf.sum(tf.square(c), 1))).dataSync()[0]);
}
