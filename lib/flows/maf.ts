/**
 * Masked autoregressive flow (Papamakarios et al. 2017) as the FCE seed builds it (SPEC §5): `n_blocks`
 * MADE blocks, no batch norm, the input order reversed between blocks (by flipping the input
 * degrees, as the seed does), sampling by inverting one dimension at a time.
 *
 * One MADE block with input degrees m(·) (block 0: 0…D−1, then flipped per block), hidden degrees
 * `k mod (D−1)` and output degrees `m(i) − 1` (masks `d_out ≥ d_in`): a masked MLP
 * `D → H → (ReLU → H) × n_hidden → ReLU → 2D` whose outputs are (μ, α), μ_i and α_i depending only
 * on inputs of lower degree. Forward (x → u): `u = (x − μ(x))·e^{−α(x)}`, log-det `−Σ α`.
 * Inverse: dimensions in degree order, `x_i = μ_i + u_i·e^{α_i}`, log-det `+Σ α`.
 *
 * State-dict keys (the seed's `MAF` module), for block i:
 * `net.<i>.net_input.weight` [H, D], `net.<i>.net_input.bias` [H],
 * `net.<i>.net.<2j+1>.weight` [H, H] / `.bias` for j < n_hidden,
 * `net.<i>.net.<2·n_hidden+1>.weight` [2D, H] / `.bias` [2D]; buffers `….mask` (same shape as
 * each weight), `net.<i>.base_dist_mean` / `net.<i>.base_dist_var` [D], and the root
 * `base_dist_mean` / `base_dist_var` [D] (zeros / ones).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createMaf } from "./maf.ts";
 * const maf = createMaf({ n_blocks: 5, hidden: 100, n_hidden: 1 }, 42);
 * const lq = maf.logProb(tf.zeros([3, 2])); // [3]
 * lq.dispose();
 * maf.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedParam } from "../nets/net.ts";
import type { ParamSpec } from "../nets/params.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { Random } from "../util/random.ts";
import { createParams, f32Buffer, Flow, type FlowLayer, linearSpecs } from "./flow.ts";

/** MAF sizes; defaults are the seed's `MAF(n_blocks=5, input_size=2, hidden_size=100, n_hidden=1)`. */
export interface MafOptions {
  n_blocks?: number;
  dim?: number;
  hidden?: number;
  n_hidden?: number;
}

/**
 * The seed's sequential MADE masks: one `[out, in]` 0/1 matrix per masked linear layer (torch
 * layout), for input degrees `inputDegrees`. The last mask covers one copy of the D outputs (the
 * layer repeats it for μ and α).
 */
export function madeMasks(inputDegrees: number[], hidden: number, nHidden: number): Float32Array[] {
  const d = inputDegrees.length;
  if (d < 2) throw new Error(`Cannot build MADE masks: need at least 2 input dimensions, got ${d}`);
  const hiddenDegrees = Array.from({ length: hidden }, (_, k) => k % (d - 1));
  const degrees = [inputDegrees, ...Array.from({ length: nHidden + 1 }, () => hiddenDegrees), inputDegrees.map((m) => (m % d) - 1)];
  const masks: Float32Array[] = [];
  for (let l = 0; l + 1 < degrees.length; l++) {
    const din = degrees[l], dout = degrees[l + 1];
    const m = new Float32Array(dout.length * din.length);
    for (let o = 0; o < dout.length; o++) for (let i = 0; i < din.length; i++) m[o * din.length + i] = dout[o] >= din[i] ? 1 : 0;
    masks.push(m);
  }
  return masks;
}

/** One MADE block as a flow layer. */
class MadeBlock implements FlowLayer {
  readonly #layers: { key: string; w: tf.Variable; b: tf.Variable; mask: tf.Tensor2D; torchMask: NamedTensor }[];
  /** Dimensions in autoregressive order (ascending degree). */
  readonly #order: number[];

  constructor(readonly name: string, readonly dim: number, readonly inputDegrees: number[], hidden: number, nHidden: number, param: (key: string) => tf.Variable) {
    const masks = madeMasks(inputDegrees, hidden, nHidden);
    const keys = [`${name}.net_input`, ...Array.from({ length: nHidden + 1 }, (_, j) => `${name}.net.${2 * j + 1}`)];
    this.#layers = keys.map((key, l) => {
      const w = param(`${key}.weight`);
      const [cin, cout] = w.shape; // internal [in, out]
      const rows = l === keys.length - 1 ? 2 : 1; // the output mask is repeated for μ and α
      const torchMask = new Float32Array(cout * cin);
      for (let r = 0; r < rows; r++) torchMask.set(masks[l], r * masks[l].length);
      const internal = new Float32Array(cin * cout);
      for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) internal[i * cout + o] = torchMask[o * cin + i];
      return { key, w, b: param(`${key}.bias`), mask: tf.keep(tf.tensor2d(internal, [cin, cout])), torchMask: f32Buffer([cout, cin], torchMask) };
    });
    this.#order = [...inputDegrees.keys()].sort((a, b) => inputDegrees[a] - inputDegrees[b]);
  }

  /** (μ, α), each [N, D], of the masked MLP at x. */
  #net(x: tf.Tensor2D): { mu: tf.Tensor2D; alpha: tf.Tensor2D } {
    return tf.tidy(() => {
      let h = x;
      this.#layers.forEach((l, i) => {
        h = tf.add(tf.matMul(h, tf.mul(l.w, l.mask)), l.b);
        if (i < this.#layers.length - 1) h = tf.relu(h);
      });
      const [mu, alpha] = tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mu, alpha };
    });
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const { mu, alpha } = this.#net(x);
      return { y: tf.mul(tf.sub(x, mu), tf.exp(tf.neg(alpha))) as tf.Tensor2D, logDet: tf.neg(tf.sum(alpha, 1)) as tf.Tensor1D };
    });
  }

  inverse(u: tf.Tensor2D) {
    return tf.tidy(() => {
      const n = u.shape[0];
      let x: tf.Tensor2D = tf.zeros([n, this.dim]);
      let alpha: tf.Tensor2D | null = null;
      for (const i of this.#order) {
        const net = this.#net(x);
        alpha = net.alpha;
        const column = tf.add(net.mu, tf.mul(u, tf.exp(net.alpha)));
        const pick = tf.tensor2d(Array.from({ length: this.dim }, (_, j) => (j === i ? 1 : 0)), [1, this.dim]);
        x = tf.add(tf.mul(x, tf.sub(1, pick)), tf.mul(column, pick));
      }
      // α_i depends only on dimensions before i in the order, all filled when the last one was computed.
      return { x, logDet: tf.sum(alpha!, 1) as tf.Tensor1D };
    });
  }

  buffers(): Record<string, NamedTensor> {
    const out: Record<string, NamedTensor> = {
      [`${this.name}.base_dist_mean`]: f32Buffer([this.dim], new Array(this.dim).fill(0)),
      [`${this.name}.base_dist_var`]: f32Buffer([this.dim], new Array(this.dim).fill(1)),
    };
    for (const l of this.#layers) out[`${l.key}.mask`] = l.torchMask;
    return out;
  }

  dispose(): void {
    for (const l of this.#layers) l.mask.dispose();
  }
}

/** The parameter specs of a MAF in the seed's state_dict order. */
export function mafSpecs(o: Required<MafOptions>): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (let i = 0; i < o.n_blocks; i++) {
    specs.push(...linearSpecs(`net.${i}.net_input`, o.dim, o.hidden));
    for (let j = 0; j < o.n_hidden; j++) specs.push(...linearSpecs(`net.${i}.net.${2 * j + 1}`, o.hidden, o.hidden));
    specs.push(...linearSpecs(`net.${i}.net.${2 * o.n_hidden + 1}`, o.hidden, 2 * o.dim));
  }
  return specs;
}

/** Creates a MAF with PyTorch-default init drawn from `seed` (every weight, masked or not, as nn.Linear does). */
export function createMaf(options: MafOptions = {}, seed = 0): Flow {
  const o: Required<MafOptions> = { n_blocks: 5, dim: 2, hidden: 100, n_hidden: 1, ...options };
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < (k === "n_hidden" ? 0 : 1)) throw new Error(`Cannot create MAF: '${k}' must be a ${k === "n_hidden" ? "non-negative" : "positive"} whole number, got ${v}`);
  }
  if (o.dim < 2) throw new Error(`Cannot create MAF: 'dim' must be at least 2, got ${o.dim}`);
  const params: NamedParam[] = createParams(mafSpecs(o), new Random(seed));
  const byKey = new Map(params.map((p) => [p.key, p.variable]));
  const layers: MadeBlock[] = [];
  let degrees = Array.from({ length: o.dim }, (_, i) => i);
  for (let i = 0; i < o.n_blocks; i++) {
    layers.push(new MadeBlock(`net.${i}`, o.dim, degrees, o.hidden, o.n_hidden, (k) => byKey.get(k)!));
    degrees = [...degrees].reverse();
  }
  const flow = new Flow("maf", o.dim, layers, params, {
    base_dist_mean: f32Buffer([o.dim], new Array(o.dim).fill(0)),
    base_dist_var: f32Buffer([o.dim], new Array(o.dim).fill(1)),
  });
  const dispose = flow.dispose.bind(flow);
  flow.dispose = () => {
    dispose();
    for (const l of layers) l.dispose();
  };
  return flow;
}
