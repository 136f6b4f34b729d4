/**
 * Normalising flows on the tensor core (so every backend — native, wasm, cpu — runs them): a
 * stack of invertible layers between data x and a standard normal base z, with exact
 * log-densities and differentiable sampling. MAF (`maf.ts`) and Glow (`glow.ts`) are built from
 * these pieces; the FCE training (SPEC §5) uses both.
 *
 * Direction: a layer's `forward` maps towards the base (x → z, the density direction) and returns
 * log|det ∂y/∂x| per point; `inverse` maps towards the data and returns log|det ∂x/∂y|. Then
 * `log q(x) = log N(z; 0, I) + Σ_layers forward log-det`, and a sample x = inverse(z) has
 * `log q(x) = log N(z; 0, I) + Σ_layers forward log-det = log N(z) − Σ inverse log-dets`.
 *
 * Parameters are {@link NamedParam}s keyed by the seed's PyTorch state_dict names (the optimisers
 * and checkpoints of `lib/ebm/` apply); each flow module documents its keys. {@link Flow.stateTensors}
 * also writes the seed's buffers (MADE masks, ActNorm `initialized`, base-distribution
 * parameters), so the file loads into the seed's PyTorch model with `load_state_dict`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createMaf } from "./maf.ts";
 * import { Random } from "../util/random.ts";
 * const flow = createMaf({}, 42);
 * const { x, logProb } = flow.sample(100, new Random(1)); // samples and their exact log q
 * const lq = flow.logProb(x);                              // equals logProb up to float error
 * tf.dispose([x, logProb, lq]);
 * flow.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedParam } from "../nets/net.ts";
import { initTorchValues, internalShape, type ParamSpec, toInternal, toTorch } from "../nets/params.ts";
import { firstNonFiniteParam } from "../nets/ops.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { Random } from "../util/random.ts";

/** One invertible layer. Outputs are new tensors owned by the caller. */
export interface FlowLayer {
  /** The layer's state_dict prefix in the seed (e.g. `net.0`, `flowstep.2.1`). */
  readonly name: string;
  /** x → y (towards the base) and log|det ∂y/∂x| per point, [N]. */
  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D };
  /** y → x (towards the data) and log|det ∂x/∂y| per point, [N]. */
  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D };
  /** Data-dependent initialisation from a batch arriving at this layer (ActNorm); optional. */
  initialize?(x: tf.Tensor2D): void;
  /** Non-trainable state in the seed's names and dtypes (masks, `initialized` flags). */
  buffers(): Record<string, NamedTensor>;
  /** Restores buffers written by {@link FlowLayer.buffers} (ActNorm reads its `initialized`). */
  restoreBuffers?(tensors: Record<string, NamedTensor>): void;
}

/** The outputs of a pass through every layer, with each layer's log-determinant. */
export interface FlowPass {
  /** The end point: z for {@link Flow.forward}, x for {@link Flow.inverse}. */
  out: tf.Tensor2D;
  /** Per-layer log-determinants in the order the layers ran, each [N]. */
  logDets: tf.Tensor1D[];
}

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(z; 0, I) per row of z [N, D], as a [N] tensor. */
export function standardNormalLogProb(z: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), (z.shape[1] * LOG_2PI) / 2) as tf.Tensor1D);
}

/** Creates the variables of `specs` with seeded init (draws in key order from `rng`). */
export function createParams(specs: ParamSpec[], rng: Random): NamedParam[] {
  return specs.map((spec) => ({
    key: spec.key,
    spec,
    variable: tf.variable(tf.tensor(toInternal(spec, initTorchValues(spec, rng)), internalShape(spec)), true),
  }));
}

/** A flow: layers between data and a standard normal base of dimension `dim`. */
export class Flow {
  readonly #byKey: Map<string, NamedParam>;

  constructor(
    /** `maf` or `glow`. */
    readonly kind: string,
    readonly dim: number,
    /** Layers in the forward (data → base) order. */
    readonly layers: FlowLayer[],
    /** Trainable parameters in state_dict order. */
    readonly params: NamedParam[],
    /** Root buffers of the seed's model (base-distribution parameters). */
    readonly rootBuffers: Record<string, NamedTensor> = {},
  ) {
    this.#byKey = new Map(params.map((p) => [p.key, p]));
  }

  /** The variable of state_dict key `key`; throws for an unknown key. */
  param(key: string): tf.Variable {
    const p = this.#byKey.get(key);
    if (!p) throw new Error(`Flow '${this.kind}' has no parameter '${key}'`);
    return p.variable;
  }

  /** Variables in state_dict order (for tf.variableGrads). */
  variables(): tf.Variable[] {
    return this.params.map((p) => p.variable);
  }

  /** x → z through every layer, with each layer's log-det. */
  forward(x: tf.Tensor2D): FlowPass {
    this.#checkInput(x, "forward");
    const logDets: tf.Tensor1D[] = [];
    let h = x;
    for (const layer of this.layers) {
      const { y, logDet } = layer.forward(h);
      if (h !== x) h.dispose();
      h = y;
      logDets.push(logDet);
    }
    return { out: h === x ? tf.clone(x) : h, logDets };
  }

  /** z → x through every layer in reverse, with each layer's inverse log-det. */
  inverse(z: tf.Tensor2D): FlowPass {
    this.#checkInput(z, "inverse");
    const logDets: tf.Tensor1D[] = [];
    let h = z;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const { x, logDet } = this.layers[i].inverse(h);
      if (h !== z) h.dispose();
      h = x;
      logDets.push(logDet);
    }
    return { out: h === z ? tf.clone(z) : h, logDets };
  }

  /** log q(x) per point, [N]. */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const { out, logDets } = this.forward(x);
      return logDets.reduce((acc, d) => tf.add(acc, d), standardNormalLogProb(out)) as tf.Tensor1D;
    });
  }

  /** Maps base points z to samples x and their exact log q(x) (differentiable in the parameters). */
  sampleFrom(z: tf.Tensor2D): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    return tf.tidy(() => {
      const { out, logDets } = this.inverse(z);
      const logProb = logDets.reduce((acc, d) => tf.sub(acc, d), standardNormalLogProb(z)) as tf.Tensor1D;
      return { x: out, logProb };
    });
  }

  /** `n` samples with their log q, base points drawn from `rng`. */
  sample(n: number, rng: Random): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    const z = tf.tensor2d(rng.normalArray(n * this.dim), [n, this.dim]);
    try {
      return this.sampleFrom(z);
    } finally {
      z.dispose();
    }
  }

  /** Data-dependent initialisation (Glow's ActNorm) from a data batch; a no-op for MAF. */
  initialize(x: tf.Tensor2D): void {
    tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) {
        layer.initialize?.(h);
        h = layer.forward(h).y;
      }
    });
  }

  /** Parameters (PyTorch layouts) and buffers in the seed's state_dict names. */
  stateTensors(): Record<string, NamedTensor> {
    const out: Record<string, NamedTensor> = { ...this.rootBuffers };
    for (const p of this.params) out[p.key] = { dtype: "F32", shape: [...p.spec.torchShape], data: toTorch(p.spec, p.variable.dataSync() as Float32Array) };
    for (const layer of this.layers) Object.assign(out, layer.buffers());
    return out;
  }

  /** Loads tensors written by {@link Flow.stateTensors}: every parameter must be there with its shape. */
  loadStateTensors(tensors: Record<string, NamedTensor>, source = "state"): void {
    const missing = this.params.filter((p) => !(p.key in tensors)).map((p) => p.key);
    if (missing.length > 0) throw new Error(`Cannot load ${source} into flow '${this.kind}': missing key(s) ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`);
    const values = this.params.map((p) => {
      const t = tensors[p.key];
      if (t.shape.length !== p.spec.torchShape.length || t.shape.some((d, i) => d !== p.spec.torchShape[i])) {
        throw new Error(`Cannot load ${source} key '${p.key}': expected shape [${p.spec.torchShape}], got [${t.shape}]`);
      }
      return toInternal(p.spec, Float32Array.from(t.data as Float32Array));
    });
    this.params.forEach((p, i) => tf.tidy(() => p.variable.assign(tf.tensor(values[i], internalShape(p.spec)))));
    for (const layer of this.layers) layer.restoreBuffers?.(tensors);
  }

  /** The name of the first parameter holding a non-finite value, or null. */
  firstNonFiniteParam(): string | null {
    return firstNonFiniteParam(this.params);
  }

  /** Frees the variables. */
  dispose(): void {
    for (const p of this.params) p.variable.dispose();
  }

  #checkInput(x: tf.Tensor, what: string): void {
    if (x.rank !== 2 || x.shape[1] !== this.dim) throw new Error(`Cannot run flow '${this.kind}' ${what}: expected input [N, ${this.dim}], got [${x.shape}]`);
  }
}

/** Linear(cin → cout) specs with a custom init for both weight and bias (e.g. Glow's zero last layer). */
export function linearSpecs(prefix: string, cin: number, cout: number, init: ParamSpec["init"] = { kind: "uniform", fanIn: cin }): ParamSpec[] {
  return [
    { key: `${prefix}.weight`, torchShape: [cout, cin], layout: "linear", init },
    { key: `${prefix}.bias`, torchShape: [cout], layout: "vector", init },
  ];
}

/** A float32 buffer in the seed's layout. */
export function f32Buffer(shape: number[], data: ArrayLike<number>): NamedTensor {
  return { dtype: "F32", shape, data: Float32Array.from(data) };
}
