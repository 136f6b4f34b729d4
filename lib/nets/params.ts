/**
 * Parameters of the paper's networks: PyTorch state_dict key, PyTorch shape and the layout we keep
 * internally (NHWC-friendly), with exact conversions between the two and PyTorch's default init.
 *
 * Layouts: `conv` torch OIHW ↔ ours HWIO; `linear` torch [out, in] ↔ ours [in, out];
 * `dense1x1` a 1×1 conv on 1×1 inputs, torch [out, in, 1, 1] ↔ ours [in, out]; `vector` as is.
 *
 * @example
 * ```ts ignore
 * const spec = convSpec("f.0", 3, 32, 3);       // f.0.weight [32,3,3,3] and f.0.bias [32]
 * const hwio = toInternal(spec[0], torchWeights);  // Float32Array in [3,3,3,32] order
 * ```
 * @module
 */
import { Random } from "../util/random.ts";

/** How a parameter is laid out in PyTorch vs internally. */
export type ParamLayout = "conv" | "linear" | "dense1x1" | "vector";

/** One named parameter of a network. */
export interface ParamSpec {
  /** PyTorch state_dict key, e.g. "convs.3.g.0.weight". */
  key: string;
  /** Shape in PyTorch's layout. */
  torchShape: number[];
  layout: ParamLayout;
  /**
   * PyTorch default init U(±1/√fanIn); zeros (the non-local block's W, Glow's last coupling
   * layer); ones; a constant (the FCE EBM's log-normaliser c = 1, ActNorm's scale = 1); or a
   * random orthogonal matrix (Glow's invertible 1×1, the Q of a QR of a standard normal matrix).
   */
  init: { kind: "uniform"; fanIn: number } | { kind: "zeros" } | { kind: "ones" } | { kind: "constant"; value: number } | { kind: "orthogonal" };
}

/**
 * Conv2d(cin → cout, k×k) weight and bias specs; `zero` initialises both to 0.
 *
 * @example
 * ```ts
 * const [weight, bias] = convSpec("f.2", 32, 64, 4); // f.2.weight [64,32,4,4], f.2.bias [64]
 * ```
 */
export function convSpec(prefix: string, cin: number, cout: number, k: number, zero = false): ParamSpec[] {
  const fanIn = cin * k * k;
  const init = zero ? { kind: "zeros" as const } : { kind: "uniform" as const, fanIn };
  return [
    { key: `${prefix}.weight`, torchShape: [cout, cin, k, k], layout: "conv", init },
    { key: `${prefix}.bias`, torchShape: [cout], layout: "vector", init },
  ];
}

/**
 * A 1×1 Conv2d applied to 1×1 inputs, kept internally as a dense [in, out] matrix (ToyNet).
 *
 * @example
 * ```ts
 * const [weight] = dense1x1Spec("f.0", 2, 32); // torch [32,2,1,1], kept as [2,32]
 * ```
 */
export function dense1x1Spec(prefix: string, cin: number, cout: number): ParamSpec[] {
  const init = { kind: "uniform" as const, fanIn: cin };
  return [
    { key: `${prefix}.weight`, torchShape: [cout, cin, 1, 1], layout: "dense1x1", init },
    { key: `${prefix}.bias`, torchShape: [cout], layout: "vector", init },
  ];
}

/**
 * Linear(cin → cout) weight and bias specs.
 *
 * @example
 * ```ts
 * const [weight] = linearSpec("fc.0", 2048, 256); // torch [256,2048], kept as [2048,256]
 * ```
 */
export function linearSpec(prefix: string, cin: number, cout: number): ParamSpec[] {
  const init = { kind: "uniform" as const, fanIn: cin };
  return [
    { key: `${prefix}.weight`, torchShape: [cout, cin], layout: "linear", init },
    { key: `${prefix}.bias`, torchShape: [cout], layout: "vector", init },
  ];
}

/**
 * BatchNorm1d(c, affine) weight (init 1) and bias (init 0) specs; its running statistics are
 * buffers, not parameters (the generator keeps them, see `generator.ts`).
 *
 * @example
 * ```ts
 * const [gamma, beta] = batchNormSpec("g.1", 100); // g.1.weight [100] = 1, g.1.bias [100] = 0
 * ```
 */
export function batchNormSpec(prefix: string, c: number): ParamSpec[] {
  return [
    { key: `${prefix}.weight`, torchShape: [c], layout: "vector", init: { kind: "ones" } },
    { key: `${prefix}.bias`, torchShape: [c], layout: "vector", init: { kind: "zeros" } },
  ];
}

/**
 * The internal shape of a parameter.
 *
 * @example
 * ```ts
 * internalShape(convSpec("f.0", 3, 32, 3)[0]); // [3, 3, 3, 32]
 * ```
 */
export function internalShape(spec: ParamSpec): number[] {
  const s = spec.torchShape;
  switch (spec.layout) {
    case "conv": return [s[2], s[3], s[1], s[0]];
    case "linear":
    case "dense1x1": return [s[1], s[0]];
    case "vector": return [...s];
  }
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Converts PyTorch-layout values to the internal layout.
 *
 * @example
 * ```ts ignore
 * const hwio = toInternal(spec, torchValues);
 * ```
 */
export function toInternal(spec: ParamSpec, torch: Float32Array): Float32Array {
  if (torch.length !== size(spec.torchShape)) {
    throw new Error(`Cannot load parameter '${spec.key}': expected ${size(spec.torchShape)} values for shape [${spec.torchShape}], got ${torch.length}`);
  }
  const s = spec.torchShape;
  if (spec.layout === "vector") return Float32Array.from(torch);
  if (spec.layout === "linear" || spec.layout === "dense1x1") {
    const [o, i] = s, out = new Float32Array(o * i);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = torch[a * i + b];
    return out;
  }
  const [o, i, kh, kw] = s, out = new Float32Array(torch.length);
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = torch[((a * i + b) * kh + y) * kw + x];
    }
  }
  return out;
}

/**
 * Converts internal-layout values back to PyTorch's layout.
 *
 * @example
 * ```ts ignore
 * const oihw = toTorch(spec, await variable.data() as Float32Array);
 * ```
 */
export function toTorch(spec: ParamSpec, internal: Float32Array): Float32Array {
  const s = spec.torchShape;
  if (spec.layout === "vector") return Float32Array.from(internal);
  if (spec.layout === "linear" || spec.layout === "dense1x1") {
    const [o, i] = s, out = new Float32Array(o * i);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[a * i + b] = internal[b * o + a];
    return out;
  }
  const [o, i, kh, kw] = s, out = new Float32Array(internal.length);
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((a * i + b) * kh + y) * kw + x] = internal[((y * kw + x) * i + b) * o + a];
    }
  }
  return out;
}

/** Q of a Gram–Schmidt QR of a standard normal square matrix (row-major), drawn from `rng`. */
function orthogonal(shape: number[], rng: Random): Float32Array {
  const d = shape[0];
  if (shape.length !== 2 || shape[1] !== d) throw new Error(`Cannot draw an orthogonal init: expected a square shape, got [${shape}]`);
  const a = Array.from(rng.normalArray(d * d), Number);
  const q = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const v = Array.from({ length: d }, (_, i) => a[i * d + j]);
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[i * d + k] * a[i * d + j];
      for (let i = 0; i < d; i++) v[i] -= dot * q[i * d + k];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < d; i++) q[i * d + j] = v[i] / norm;
  }
  return Float32Array.from(q);
}

/**
 * PyTorch's default init in PyTorch layout, drawn from `rng` in key order: weights
 * kaiming_uniform(a=√5) = U(±√(6/((1+5)·fanIn))) = U(±1/√fanIn); biases U(±1/√fanIn).
 *
 * @example
 * ```ts ignore
 * const w = initTorchValues(convSpec("f.0", 3, 32, 3)[0], new Random(1)); // U(±1/√27)
 * ```
 */
export function initTorchValues(spec: ParamSpec, rng: Random): Float32Array {
  const n = size(spec.torchShape);
  if (spec.init.kind === "zeros") return new Float32Array(n);
  if (spec.init.kind === "ones") return new Float32Array(n).fill(1);
  if (spec.init.kind === "constant") return new Float32Array(n).fill(spec.init.value);
  if (spec.init.kind === "orthogonal") return orthogonal(spec.torchShape, rng);
  const bound = 1 / Math.sqrt(spec.init.fanIn);
  return rng.uniformArray(n, -bound, bound);
}
