/**
 * The joint classifier-EBM's network (SPEC §6, seed 003): an MLP `inputs → hidden… → classes`
 * with ELU (or, for the VERA seed's tabular EBM, LeakyReLU 0.2) between the linear layers, written as PyTorch's `nn.Sequential` inside a module
 * attribute `net`, so its state_dict keys are `net.0.weight` [h₁, inputs], `net.0.bias`,
 * `net.2.*`, `net.4.*`, `net.6.weight` [classes, h₃], `net.6.bias` for the seed's
 * 784→512→512→512→10. Inputs are flattened images, `[N, inputs]` (28×28 row-major in [−1, 1]).
 * Init is PyTorch's default (U(±1/√fan_in) for weights and biases), drawn from a seed.
 *
 * The energies built on the logits `s` live here too, with both sign conventions:
 * `jem` (JEM's, the default): `E(x) = −LogSumExp(s)`, `E(x, y) = −s_y` (low energy = realistic);
 * `seed` (the seed's literal code): `E(x) = +LogSumExp(s)`, `E(x, y) = +s_y`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createMlpClassifier, energyFromLogits, SEED_MLP } from "./mlp_classifier.ts";
 * const mlp = createMlpClassifier(SEED_MLP, 123);
 * const logits = mlp.logits(tf.zeros([4, 784]));   // [4, 10]
 * const e = energyFromLogits(logits, "jem");        // [4], −LogSumExp
 * mlp.stateDict()["net.6.weight"].shape;            // [10, 512]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../util/random.ts";
import { initTorchValues, internalShape, linearSpec, toInternal, toTorch } from "./params.ts";
import { assignStateDict, type NamedParam, type StateDict } from "./net.ts";
import { leakyRelu } from "./ops.ts";

/** Layer widths of an MLP classifier. */
export interface MlpSize {
  inputs: number;
  hidden: number[];
  classes: number;
  /**
   * Between the linear layers: `elu` (the seed's, the default) or `leaky_relu` (slope 0.2, the
   * VERA seed's tabular EBM). Not visible in a state_dict: the model file stores it.
   */
  activation?: MlpActivation;
}

/** The activations an MLP classifier can use. */
export type MlpActivation = "elu" | "leaky_relu";

/** The seed's network: 784 → 512 → 512 → 512 → 10. */
export const SEED_MLP: MlpSize = { inputs: 784, hidden: [512, 512, 512], classes: 10 };

/** Which sign the image energy takes: JEM's `−LogSumExp(s)` or the seed's literal `+LogSumExp(s)`. */
export type EnergySign = "jem" | "seed";

/** An MLP classifier whose logits double as (negative) energies. */
export interface MlpClassifier {
  readonly size: MlpSize;
  /** Parameters in state_dict order (`net.0.weight`, `net.0.bias`, `net.2.weight`, …). */
  readonly params: NamedParam[];
  /** Logits `[N, classes]` of flattened inputs `[N, inputs]`. */
  logits(x: tf.Tensor): tf.Tensor2D;
  variables(): tf.Variable[];
  /** Weights in PyTorch layout (`[out, in]` linears). */
  stateDict(): StateDict;
  /** Loads PyTorch-layout weights; every key must be present with its exact shape. */
  loadStateDict(sd: StateDict, source?: string): void;
  dispose(): void;
}

function checkSize(size: MlpSize): void {
  if (size.activation !== undefined && size.activation !== "elu" && size.activation !== "leaky_relu") {
    throw new Error(`Cannot create the MLP classifier: 'activation' must be elu or leaky_relu, got '${size.activation}'`);
  }
  const widths = [size.inputs, ...size.hidden, size.classes];
  if (size.hidden.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new Error(`Cannot create the MLP classifier: expected positive whole widths and at least one hidden layer, got ${widths.join("→")}`);
  }
}

/**
 * Creates the MLP with PyTorch-default init drawn from `seed`, in state_dict order.
 *
 * @example
 * ```ts
 * const tiny = createMlpClassifier({ inputs: 4, hidden: [3], classes: 2 }, 1); // keys net.0.*, net.2.*
 * ```
 */
export function createMlpClassifier(size: MlpSize, seed = 0): MlpClassifier {
  checkSize(size);
  const widths = [size.inputs, ...size.hidden, size.classes];
  const specs = widths.slice(0, -1).flatMap((w, i) => linearSpec(`net.${2 * i}`, w, widths[i + 1]));
  const rng = new Random(seed);
  const params: NamedParam[] = specs.map((spec) => ({
    key: spec.key,
    spec,
    variable: tf.variable(tf.tensor(toInternal(spec, initTorchValues(spec, rng)), internalShape(spec)), true),
  }));
  const layers = widths.length - 1;
  const act = size.activation === "leaky_relu" ? (h: tf.Tensor2D) => leakyRelu(h, 0.2) : (h: tf.Tensor2D) => tf.elu(h) as tf.Tensor2D;
  return {
    size,
    params,
    logits(x) {
      if (x.rank !== 2 || x.shape[1] !== size.inputs) {
        throw new Error(`Cannot run the MLP classifier: expected input [N, ${size.inputs}], got [${x.shape}]`);
      }
      return tf.tidy(() => {
        let h = x as tf.Tensor2D;
        for (let i = 0; i < layers; i++) {
          const w = params[2 * i].variable as tf.Tensor2D, b = params[2 * i + 1].variable as tf.Tensor1D;
          h = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
          if (i < layers - 1) h = act(h);
        }
        return h;
      });
    },
    variables: () => params.map((p) => p.variable),
    stateDict() {
      const out: StateDict = {};
      for (const p of params) out[p.key] = { shape: [...p.spec.torchShape], data: toTorch(p.spec, p.variable.dataSync() as Float32Array) };
      return out;
    },
    loadStateDict(sd, source = "state_dict") {
      assignStateDict(params, sd, source, "the MLP classifier");
    },
    dispose() {
      for (const p of params) p.variable.dispose();
    },
  };
}

/** Reads the MLP's widths back from a state_dict (`net.0.weight`, `net.2.weight`, …). */
export function mlpSizeOf(sd: StateDict, source = "state_dict"): MlpSize {
  const widths: number[] = [];
  for (let i = 0; ; i += 2) {
    const w = sd[`net.${i}.weight`];
    if (!w) break;
    if (w.shape.length !== 2) throw new Error(`Cannot read ${source}: 'net.${i}.weight' should be 2-D [out, in], got [${w.shape}]`);
    if (i === 0) widths.push(w.shape[1]);
    else if (w.shape[1] !== widths[widths.length - 1]) throw new Error(`Cannot read ${source}: 'net.${i}.weight' takes ${w.shape[1]} inputs but the layer before gives ${widths[widths.length - 1]}`);
    widths.push(w.shape[0]);
  }
  if (widths.length < 3) throw new Error(`Cannot read ${source}: expected linear layers 'net.0.weight', 'net.2.weight', … with at least one hidden layer`);
  return { inputs: widths[0], hidden: widths.slice(1, -1), classes: widths[widths.length - 1] };
}

/** +1 for the seed's sign, −1 for JEM's: `E(x) = sign·LogSumExp(s)`, `E(x, y) = sign·s_y`. */
export function signFactor(sign: EnergySign): number {
  return sign === "jem" ? -1 : 1;
}

/**
 * Image energies `[N]` from logits `[N, K]`: `−LogSumExp(s)` (jem) or `+LogSumExp(s)` (seed).
 *
 * @example
 * ```ts ignore
 * energyFromLogits(tf.tensor2d([[0, 0]]), "jem").dataSync(); // [−ln 2]
 * ```
 */
export function energyFromLogits(logits: tf.Tensor2D, sign: EnergySign): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.logSumExp(logits, 1), signFactor(sign)) as tf.Tensor1D);
}

/**
 * Class-conditional energies `E(x, y)` `[N]`: `−s_y` (jem) or `+s_y` (seed), `y` one class per row.
 *
 * @example
 * ```ts ignore
 * classEnergyFromLogits(tf.tensor2d([[1, 2]]), tf.tensor1d([1], "int32"), "jem").dataSync(); // [−2]
 * ```
 */
export function classEnergyFromLogits(logits: tf.Tensor2D, labels: tf.Tensor1D, sign: EnergySign): tf.Tensor1D {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(logits, tf.oneHot(labels, logits.shape[1])), 1);
    return tf.mul(picked, signFactor(sign)) as tf.Tensor1D;
  });
}
