/**
 * HMC on the generator's posterior q(h | x) ∝ N(h; 0, I) N(x; g(h), σ²I), one chain per row
 * (the seed's `get_gen_posterior_samples`): each of `burnIn + numSamples` transitions draws a
 * momentum p ~ N(0, I), runs `leapfrog` leapfrog steps of size `stepsize`, and accepts per chain
 * with probability min(1, exp(H_old − H_new)), H = U + ½‖p‖², U(h) = ½‖h‖² + ½‖x − g(h)‖²/σ².
 * During burn-in the step size adapts after every transition:
 * `stepsize ← stepsize·(1 + adapt_lr·(mean acceptance − target_accept))` (seed: adapt_lr =
 * `mcmc_lr` 0.02, target 0.67); the kept transitions' states are the samples.
 *
 * One deliberate difference from the seed's code: there g(h) is evaluated under `torch.no_grad()`
 * inside the gradient helper, so its leapfrog moves follow the prior's gradient only (the
 * likelihood enters the accept test alone). Here ∇U includes the likelihood term, which is the
 * HMC the paper describes; the adaptation rule is the seed's.
 *
 * @example
 * ```ts ignore
 * import { hmcPosterior } from "./hmc.ts";
 * const { samples, acceptRate, stepsize } = hmcPosterior((h) => g(h), x, h0, 0.1,
 *   { burnIn: 2, numSamples: 2, leapfrog: 5, stepsize: 0.5, adaptLr: 0.02, targetAccept: 0.67, rng });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../util/random.ts";

/** HMC settings. */
export interface HmcOptions {
  burnIn: number;
  numSamples: number;
  leapfrog: number;
  stepsize: number;
  /** Adaptation rate of the step size during burn-in (seed `mcmc_lr`); 0 freezes it. */
  adaptLr: number;
  targetAccept: number;
  rng: Random;
}

/** HMC output: samples [numSamples·B, H] in transition-major order (caller disposes), rates, adapted step size. */
export interface HmcResult {
  samples: tf.Tensor2D;
  /** Per chain, the fraction of all transitions accepted. */
  acceptRate: Float64Array;
  stepsize: number;
}

/**
 * Samples q(h | x) by HMC from `h0`; `g` maps [N, H] → [N, D]. x and h0 are not modified.
 */
export function hmcPosterior(g: (h: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D, h0: tf.Tensor2D, sigma: number, o: HmcOptions): HmcResult {
  for (const [name, v] of [["burn_in", o.burnIn], ["num_samples_posterior", o.numSamples], ["leapfrog_steps", o.leapfrog]] as const) {
    if (!Number.isInteger(v) || v < (name === "burn_in" ? 0 : 1)) throw new Error(`Cannot run HMC: '${name}' must be a ${name === "burn_in" ? "non-negative" : "positive"} integer, got ${v}`);
  }
  if (!(o.stepsize > 0)) throw new Error(`Cannot run HMC: 'stepsize' must be positive, got ${o.stepsize}`);
  const [b, hd] = h0.shape;
  const xc = tf.keep(tf.clone(x));
  const inv2s2 = 0.5 / (sigma * sigma);
  // Per-chain potential U(h) = ½‖h‖² + ½‖x − g(h)‖²/σ², and its gradient in h.
  const potential = (h: tf.Tensor2D) => tf.add(tf.mul(tf.sum(tf.square(h), 1), 0.5), tf.mul(tf.sum(tf.square(tf.sub(xc, g(h))), 1), inv2s2)) as tf.Tensor1D;
  const valueAndGrad = tf.valueAndGrad((h: tf.Tensor) => tf.sum(potential(h as tf.Tensor2D)) as tf.Scalar);
  const uAndGrad = (h: tf.Tensor2D) => tf.tidy(() => {
    const u = potential(h);
    const { grad } = valueAndGrad(h);
    return { u, grad };
  });

  let current = tf.clone(h0);
  let stepsize = o.stepsize;
  const accepted = new Float64Array(b);
  const kept: tf.Tensor2D[] = [];
  const n = o.burnIn + o.numSamples;
  try {
    for (let i = 0; i < n; i++) {
      const p0 = tf.tensor2d(o.rng.normalArray(b * hd), [b, hd]);
      const uniforms = Float64Array.from({ length: b }, () => o.rng.uniform());
      const { u: u0, grad: g0 } = uAndGrad(current);
      let h = current, p = tf.sub(p0, tf.mul(g0, stepsize / 2)) as tf.Tensor2D;
      g0.dispose();
      let uNew!: tf.Tensor1D;
      for (let j = 0; j < o.leapfrog; j++) {
        const hn = tf.add(h, tf.mul(p, stepsize)) as tf.Tensor2D;
        if (h !== current) h.dispose();
        h = hn;
        const { u, grad } = uAndGrad(h);
        const factor = j < o.leapfrog - 1 ? stepsize : stepsize / 2;
        const pn = tf.sub(p, tf.mul(grad, factor)) as tf.Tensor2D;
        p.dispose();
        grad.dispose();
        p = pn;
        if (j < o.leapfrog - 1) u.dispose();
        else uNew = u;
      }
      const k0 = tf.tidy(() => tf.mul(tf.sum(tf.square(p0), 1), 0.5)), k1 = tf.tidy(() => tf.mul(tf.sum(tf.square(p), 1), 0.5));
      const [cu, pu, ck, pk] = [u0, uNew, k0, k1].map((t) => t.dataSync() as Float32Array);
      const mask = new Float32Array(b);
      let rate = 0;
      for (let c = 0; c < b; c++) {
        const logA = cu[c] - pu[c] + ck[c] - pk[c];
        // NaN proposals (a diverged leapfrog) are rejected.
        if (uniforms[c] < Math.exp(logA)) {
          mask[c] = 1;
          accepted[c] += 1;
          rate += 1;
        }
      }
      rate /= b;
      const m = tf.tensor2d(mask, [b, 1]);
      const next = tf.tidy(() => tf.add(tf.mul(h, m), tf.mul(current, tf.sub(1, m))) as tf.Tensor2D);
      tf.dispose([m, p0, p, u0, uNew, k0, k1, h]);
      current.dispose();
      current = next;
      if (i < o.burnIn) stepsize = stepsize + o.adaptLr * (rate - o.targetAccept) * stepsize;
      else kept.push(tf.clone(current));
    }
    const samples = tf.concat(kept, 0) as tf.Tensor2D;
    return { samples, acceptRate: accepted.map((a) => a / n), stepsize };
  } finally {
    tf.dispose([current, xc, ...kept]);
  }
}
