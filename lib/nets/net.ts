/**
 * `createNet`: a network with seeded PyTorch-default init, trainable tf.Variables named by
 * PyTorch state_dict keys, an energy function, and state_dict conversion in PyTorch layouts.
 *
 * @example
 * ```ts ignore
 * import { createNet } from "./net.ts";
 * const net = createNet("vanilla", { n_c: 3, n_f: 32 }, 123);
 * const e = net.energy(tf.zeros([4, 32, 32, 3])); // Tensor1D [4]
 * const sd = net.stateDict();                      // { "f.0.weight": { shape: [32,3,3,3], data }, … }
 * net.loadStateDict(sd);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../util/random.ts";
import { ARCHITECTURES, type DenseStack, type NetSize, type NetType, type ParamMap } from "./architectures.ts";
import { initTorchValues, internalShape, type ParamSpec, toInternal, toTorch } from "./params.ts";

export type { DenseStack, NetSize, NetType } from "./architectures.ts";

/** A PyTorch-layout state_dict: key → shape and float32 values. */
export type StateDict = Record<string, { shape: number[]; data: Float32Array }>;

/** One trainable parameter: its spec and its variable (internal layout). */
export interface NamedParam {
  key: string;
  spec: ParamSpec;
  variable: tf.Variable;
}

/** An energy-based model network U(x; θ). */
export interface EnergyNet {
  readonly type: NetType;
  readonly size: NetSize;
  /** Input shape without the batch axis: [2] for toy, [32, 32, n_c] (NHWC) for images. */
  readonly inputShape: number[];
  /** Parameters in PyTorch state_dict order. */
  readonly params: NamedParam[];
  /** Energies of a batch: x is [N, 2] (toy) or [N, H, W, C]; returns [N]. */
  energy(x: tf.Tensor): tf.Tensor1D;
  /** Variables in state_dict order (for optimisers and tf.variableGrads). */
  variables(): tf.Variable[];
  /** Current weights in PyTorch layouts (OIHW convs, [out, in] linears). */
  stateDict(): StateDict;
  /** Loads PyTorch-layout weights; every key must be present with its exact shape. */
  loadStateDict(sd: StateDict, source?: string): void;
  /**
   * The net as a plain dense leaky-ReLU stack (its live weight variables), for fused samplers;
   * null for nets that are not one (the image nets).
   */
  denseStack(): DenseStack | null;
  /** Frees the variables. */
  dispose(): void;
}

function checkSize(type: string, size: NetSize): void {
  for (const field of ["n_c", "n_f"] as const) {
    const v = size[field];
    if (!Number.isInteger(v) || v < 1) throw new Error(`Cannot create net '${type}': '${field}' must be a positive integer, got ${v}`);
  }
}

/**
 * Creates a network of `type` with PyTorch-default init drawn from `seed`.
 * `size` defaults to the paper's n_c = 3, n_f = 32 (toy: n_f = 32, n_c ignored).
 *
 * @example
 * ```ts ignore
 * const toy = createNet("toy", {}, 1); const e = toy.energy(tf.zeros([10, 2]));
 * ```
 */
export function createNet(type: NetType, size: Partial<NetSize> = {}, seed = 0): EnergyNet {
  const factory = ARCHITECTURES[type];
  if (factory === undefined) throw new Error(`Cannot create net '${type}': expected one of ${Object.keys(ARCHITECTURES).join(", ")}`);
  const full: NetSize = { n_c: size.n_c ?? 3, n_f: size.n_f ?? 32 };
  checkSize(type, full);
  const arch = factory(full);
  const rng = new Random(seed);
  const params: NamedParam[] = arch.params.map((spec) => ({
    key: spec.key,
    spec,
    variable: tf.variable(tf.tensor(toInternal(spec, initTorchValues(spec, rng)), internalShape(spec)), true),
  }));
  const map: ParamMap = Object.fromEntries(params.map((p) => [p.key, p.variable]));
  return {
    type,
    size: full,
    inputShape: arch.inputShape,
    params,
    energy(x) {
      const want = arch.inputShape;
      if (x.rank !== want.length + 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
        throw new Error(`Cannot compute energy of net '${type}': expected input [N, ${want}], got [${x.shape}]`);
      }
      return tf.tidy(() => arch.energy(map, x));
    },
    variables: () => params.map((p) => p.variable),
    denseStack: () => arch.denseStack?.(map) ?? null,
    stateDict() {
      const out: StateDict = {};
      for (const p of params) out[p.key] = { shape: [...p.spec.torchShape], data: toTorch(p.spec, p.variable.dataSync() as Float32Array) };
      return out;
    },
    loadStateDict(sd, source = "state_dict") {
      assignStateDict(params, sd, source, `net '${type}'`);
    },
    dispose() {
      for (const p of params) p.variable.dispose();
    },
  };
}

/**
 * Assigns a PyTorch-layout state_dict to `params`, all or nothing: every key must be present with
 * its PyTorch shape and no other key may be there; errors name `source`, `target` and the key.
 */
export function assignStateDict(params: readonly NamedParam[], sd: StateDict, source: string, target: string): void {
  const missing = params.filter((p) => !(p.key in sd)).map((p) => p.key);
  if (missing.length > 0) throw new Error(`Cannot load ${source} into ${target}: missing key(s) ${missing.join(", ")}`);
  const extra = Object.keys(sd).filter((k) => !params.some((p) => p.key === k));
  if (extra.length > 0) throw new Error(`Cannot load ${source} into ${target}: unexpected key(s) ${extra.join(", ")}`);
  const values = params.map((p) => {
    const e = sd[p.key];
    if (e.shape.length !== p.spec.torchShape.length || e.shape.some((d, i) => d !== p.spec.torchShape[i])) {
      throw new Error(`Cannot load ${source} key '${p.key}': expected shape [${p.spec.torchShape}], got [${e.shape}]`);
    }
    return toInternal(p.spec, e.data);
  });
  params.forEach((p, i) => tf.tidy(() => p.variable.assign(tf.tensor(values[i], internalShape(p.spec)))));
}
