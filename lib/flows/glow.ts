/**
 * Glow (Kingma & Dhariwal 2018) for 2-D data as the FCE seed builds it (SPEC §5):
 * `depth·(levels + 1)` flow steps (the seed's `Glow(width=64, depth=5, n_levels=1)`: 10), each
 * ActNorm → invertible 1×1 → affine coupling, in the forward (data → base) direction:
 * - ActNorm: `y = (x − b)/s`, log-det `−Σ log|s|`; b and s are set from the first batch that
 *   reaches the layer (mean and population sd + 1e-6) by {@link Flow.initialize}.
 * - Invertible 1×1: `y = x·Wᵀ` with W a learnable 2×2 matrix (orthogonal at init, the Q of a QR of
 *   a normal matrix), log-det `log|det W|`.
 * - Affine coupling: with (x_a, x_b) the two coordinates, `h = fc3(ReLU(AN2(fc2(ReLU(AN1(fc1(x_b)))))))·e^{ℓ}`,
 *   t = h₀, s = σ(h₁ + 2); `y = (s·x_a + t, x_b)`, log-det `log s`. fc3 and ℓ start at zero, so
 *   every coupling starts near the identity (s = σ(2)).
 *
 * Initialisation differs from the seed in one respect: the seed initialises each ActNorm on the
 * first tensor it happens to see (the coupling-internal ones during the first *sampling* pass);
 * here every ActNorm is initialised on the first data batch, in the forward direction.
 *
 * State-dict keys (the seed's `Glow` module): steps 0…depth−1 of level l are
 * `flowlevels.<l>.flowsteps.<k>`, the last `depth` steps `flowstep.<k>`; within a step `<p>.0.scale`,
 * `<p>.0.bias` [1, 2] (+ buffer `<p>.0.initialized`, U8 scalar), `<p>.1.w` [2, 2],
 * `<p>.2.fc1.weight` [W, 1], `<p>.2.fc1.bias`, `<p>.2.actnorm1.scale` / `.bias` [1, W]
 * (+ `initialized`), `<p>.2.fc2.weight` [W, W], `<p>.2.fc2.bias`, `<p>.2.actnorm2.*`,
 * `<p>.2.fc3.weight` [2, W], `<p>.2.fc3.bias` [2], `<p>.2.log_scale_factor` [1, 2]; root buffers
 * `base_dist_mean` [2], `base_dist_var` [2, 2].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createGlow } from "./glow.ts";
 * const glow = createGlow({ width: 64, depth: 5, levels: 1 }, 42);
 * const x = tf.randomNormal([500, 2]) as tf.Tensor2D;
 * glow.initialize(x);                       // ActNorm data-dependent init
 * const lq = glow.logProb(x);               // [500]
 * tf.dispose([x, lq]);
 * glow.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ParamSpec } from "../nets/params.ts";
import { logSigmoid } from "../nets/ops.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { Random } from "../util/random.ts";
import { createParams, f32Buffer, Flow, type FlowLayer, linearSpecs } from "./flow.ts";

/** Glow sizes; defaults are the seed's `Glow(width=64, depth=5, n_levels=1, data_dim=2)`. */
export interface GlowOptions {
  width?: number;
  depth?: number;
  levels?: number;
}

/** ActNorm state, shared by the step layer and the coupling-internal normalisations. */
class ActNormParams {
  initialized = false;
  constructor(readonly name: string, readonly scale: tf.Variable, readonly bias: tf.Variable) {}

  /** Sets bias = mean, scale = population sd + 1e-6 of `x` per column. */
  initializeFrom(x: tf.Tensor2D): void {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, 0, true);
      this.bias.assign(mean);
      this.scale.assign(tf.add(tf.sqrt(variance), 1e-6));
    });
    this.initialized = true;
  }

  /** (x − b)/s. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.div(tf.sub(x, this.bias), this.scale);
  }

  buffers(): Record<string, NamedTensor> {
    return { [`${this.name}.initialized`]: { dtype: "U8", shape: [], data: new Uint8Array([this.initialized ? 1 : 0]) } };
  }

  restore(tensors: Record<string, NamedTensor>): void {
    const t = tensors[`${this.name}.initialized`];
    if (t) this.initialized = Number(t.data[0]) !== 0;
  }
}

class ActNorm implements FlowLayer {
  constructor(readonly name: string, readonly p: ActNormParams) {}

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const logDet = tf.neg(tf.sum(tf.log(tf.abs(this.p.scale))));
      return { y: this.p.apply(x), logDet: tf.mul(tf.ones([x.shape[0]]), logDet) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      const logDet = tf.sum(tf.log(tf.abs(this.p.scale)));
      return { x: tf.add(tf.mul(y, this.p.scale), this.p.bias) as tf.Tensor2D, logDet: tf.mul(tf.ones([y.shape[0]]), logDet) as tf.Tensor1D };
    });
  }

  initialize(x: tf.Tensor2D): void {
    if (!this.p.initialized) this.p.initializeFrom(x);
  }

  buffers() {
    return this.p.buffers();
  }

  restoreBuffers(tensors: Record<string, NamedTensor>): void {
    this.p.restore(tensors);
  }
}

class Invertible1x1 implements FlowLayer {
  constructor(readonly name: string, readonly w: tf.Variable) {}

  /** det W and the entries of W⁻¹ᵀ, from tensor ops (differentiable). */
  #parts() {
    const a = tf.reshape(this.w, [4]);
    const e = (i: number) => tf.slice(a, [i], [1]);
    const det = tf.sub(tf.mul(e(0), e(3)), tf.mul(e(1), e(2)));
    // W = [[a, b], [c, d]] → W⁻¹ = [[d, −b], [−c, a]]/det (slices and concat: their gradients run on every backend).
    const inv = tf.reshape(tf.div(tf.concat([e(3), tf.neg(e(1)), tf.neg(e(2)), e(0)]), det), [2, 2]) as tf.Tensor2D;
    return { det, inv };
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const { det } = this.#parts();
      const logDet = tf.reshape(tf.log(tf.abs(det)), []);
      return { y: tf.matMul(x, this.w as tf.Tensor2D, false, true) as tf.Tensor2D, logDet: tf.mul(tf.ones([x.shape[0]]), logDet) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      const { det, inv } = this.#parts();
      const logDet = tf.reshape(tf.neg(tf.log(tf.abs(det))), []);
      return { x: tf.matMul(y, inv, false, true) as tf.Tensor2D, logDet: tf.mul(tf.ones([y.shape[0]]), logDet) as tf.Tensor1D };
    });
  }

  buffers() {
    return {};
  }
}

class AffineCoupling implements FlowLayer {
  constructor(
    readonly name: string,
    readonly param: (suffix: string) => tf.Variable,
    readonly an1: ActNormParams,
    readonly an2: ActNormParams,
  ) {}

  /** (t, s) of the conditioner at x_b [N, 1]; with `init`, initialises the inner ActNorms first. */
  #shiftScale(xb: tf.Tensor2D, init = false): { t: tf.Tensor2D; logS: tf.Tensor2D; s: tf.Tensor2D } {
    const p = this.param;
    const lin = (h: tf.Tensor2D, k: string) => tf.add(tf.matMul(h, p(`${k}.weight`) as tf.Tensor2D), p(`${k}.bias`)) as tf.Tensor2D;
    let h = lin(xb, "fc1");
    if (init && !this.an1.initialized) this.an1.initializeFrom(h);
    h = tf.relu(this.an1.apply(h));
    h = lin(h, "fc2");
    if (init && !this.an2.initialized) this.an2.initializeFrom(h);
    h = tf.relu(this.an2.apply(h));
    h = tf.mul(lin(h, "fc3"), tf.exp(p("log_scale_factor")));
    const [t, raw] = tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const pre = tf.add(raw, 2);
    return { t, logS: logSigmoid(pre) as tf.Tensor2D, s: tf.sigmoid(pre) as tf.Tensor2D };
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const [xa, xb] = tf.split(x, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const { t, s, logS } = this.#shiftScale(xb);
      return { y: tf.concat([tf.add(tf.mul(s, xa), t), xb], 1) as tf.Tensor2D, logDet: tf.sum(logS, 1) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      const [ya, yb] = tf.split(y, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const { t, s, logS } = this.#shiftScale(yb);
      return { x: tf.concat([tf.div(tf.sub(ya, t), s), yb], 1) as tf.Tensor2D, logDet: tf.neg(tf.sum(logS, 1)) as tf.Tensor1D };
    });
  }

  initialize(x: tf.Tensor2D): void {
    tf.tidy(() => {
      this.#shiftScale(tf.split(x, 2, 1)[1] as tf.Tensor2D, true);
    });
  }

  buffers() {
    return { ...this.an1.buffers(), ...this.an2.buffers() };
  }

  restoreBuffers(tensors: Record<string, NamedTensor>): void {
    this.an1.restore(tensors);
    this.an2.restore(tensors);
  }
}

/** The state_dict prefixes of the flow steps in forward order. */
export function glowStepPrefixes(o: Required<GlowOptions>): string[] {
  const out: string[] = [];
  for (let l = 0; l < o.levels; l++) for (let k = 0; k < o.depth; k++) out.push(`flowlevels.${l}.flowsteps.${k}`);
  for (let k = 0; k < o.depth; k++) out.push(`flowstep.${k}`);
  return out;
}

/** The parameter specs of a Glow in the seed's state_dict order. */
export function glowSpecs(o: Required<GlowOptions>): ParamSpec[] {
  const ones = { kind: "constant", value: 1 } as const, zeros = { kind: "zeros" } as const;
  const actnorm = (prefix: string, d: number): ParamSpec[] => [
    { key: `${prefix}.scale`, torchShape: [1, d], layout: "vector", init: ones },
    { key: `${prefix}.bias`, torchShape: [1, d], layout: "vector", init: zeros },
  ];
  return glowStepPrefixes(o).flatMap((p) => [
    ...actnorm(`${p}.0`, 2),
    { key: `${p}.1.w`, torchShape: [2, 2], layout: "vector", init: { kind: "orthogonal" } } as ParamSpec,
    ...linearSpecs(`${p}.2.fc1`, 1, o.width),
    ...actnorm(`${p}.2.actnorm1`, o.width),
    ...linearSpecs(`${p}.2.fc2`, o.width, o.width),
    ...actnorm(`${p}.2.actnorm2`, o.width),
    ...linearSpecs(`${p}.2.fc3`, o.width, 2, zeros),
    { key: `${p}.2.log_scale_factor`, torchShape: [1, 2], layout: "vector", init: zeros } as ParamSpec,
  ]);
}

/** Creates a 2-D Glow with the seed's init drawn from `seed` (call {@link Flow.initialize} on data before use). */
export function createGlow(options: GlowOptions = {}, seed = 0): Flow {
  const o: Required<GlowOptions> = { width: 64, depth: 5, levels: 1, ...options };
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < (k === "levels" ? 0 : 1)) throw new Error(`Cannot create Glow: '${k}' must be a ${k === "levels" ? "non-negative" : "positive"} whole number, got ${v}`);
  }
  const params = createParams(glowSpecs(o), new Random(seed));
  const byKey = new Map(params.map((p) => [p.key, p.variable]));
  const get = (k: string) => byKey.get(k)!;
  const layers: FlowLayer[] = [];
  for (const p of glowStepPrefixes(o)) {
    const an = (prefix: string) => new ActNormParams(prefix, get(`${prefix}.scale`), get(`${prefix}.bias`));
    layers.push(new ActNorm(`${p}.0`, an(`${p}.0`)));
    layers.push(new Invertible1x1(`${p}.1`, get(`${p}.1.w`)));
    layers.push(new AffineCoupling(`${p}.2`, (s) => get(`${p}.2.${s}`), an(`${p}.2.actnorm1`), an(`${p}.2.actnorm2`)));
  }
  return new Flow("glow", 2, layers, params, {
    base_dist_mean: f32Buffer([2], [0, 0]),
    base_dist_var: f32Buffer([2, 2], [1, 0, 0, 1]),
  });
}
