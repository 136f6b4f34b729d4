/**
 * The paper's three networks (SPEC §1) as parameter lists plus energy functions over NHWC input.
 * Parameter keys are PyTorch's state_dict keys so the paper's checkpoints convert one to one.
 *
 * @example
 * ```ts
 * const arch = ARCHITECTURES.vanilla({ n_c: 3, n_f: 32 });
 * arch.params.map((p) => p.key); // ["f.0.weight", "f.0.bias", "f.2.weight", …]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { conv, convLeakyRelu, dense, denseLeakyRelu, LEAK, leakyRelu, maxPool2 } from "./ops.ts";
import { convSpec, dense1x1Spec, linearSpec, type ParamSpec } from "./params.ts";

/** Network sizes: image channels and base feature width. */
export interface NetSize {
  n_c: number;
  n_f: number;
}

/** Parameters by state_dict key (internal layouts). */
export type ParamMap = Record<string, tf.Tensor>;

/** A network architecture: its parameters and its energy function. */
export interface Architecture {
  params: ParamSpec[];
  /** Expected input shape without the batch axis. */
  inputShape: number[];
  energy(p: ParamMap, x: tf.Tensor): tf.Tensor1D;
  /**
   * For nets that are a plain stack of dense leaky-ReLU layers ending in one linear output
   * (ToyNet): that stack, which fused samplers run without tfjs ops. Absent otherwise.
   */
  denseStack?(p: ParamMap): DenseStack;
}

/**
 * A dense network `f(x) = h_{k−1}·w_{k−1} + b_{k−1}`, `h_0 = x`,
 * `h_{l+1} = leakyRelu(h_l·w_l + b_l, slope)`: weights [in, out], biases [out], the last of width 1.
 */
export interface DenseStack {
  weights: tf.Tensor2D[];
  biases: tf.Tensor1D[];
  slope: number;
}

function toy(size: NetSize): Architecture {
  const widths = [2, size.n_f, 2 * size.n_f, 2 * size.n_f, 2 * size.n_f, 1];
  const params = widths.slice(0, -1).flatMap((w, i) => dense1x1Spec(`f.${2 * i}`, w, widths[i + 1]));
  return {
    params,
    inputShape: [2],
    energy(p, x) {
      let h = x as tf.Tensor2D;
      for (let i = 0; i < 5; i++) {
        const w = p[`f.${2 * i}.weight`] as tf.Tensor2D, b = p[`f.${2 * i}.bias`] as tf.Tensor1D;
        h = i < 4 ? denseLeakyRelu(h, w, b) : dense(h, w, b);
      }
      return tf.reshape(h, [-1]) as tf.Tensor1D;
    },
    denseStack(p) {
      const layers = [0, 1, 2, 3, 4];
      return {
        weights: layers.map((i) => p[`f.${2 * i}.weight`] as tf.Tensor2D),
        biases: layers.map((i) => p[`f.${2 * i}.bias`] as tf.Tensor1D),
        slope: LEAK,
      };
    },
  };
}

/**
 * VERA's small MLP energy (the seed's `small_mlp_ebm`): Linear(n_c → n_f), LeakyReLU(0.2),
 * Linear(n_f → n_f), LeakyReLU(0.2), Linear(n_f → 1); keys `f.0`, `f.2`, `f.4` in torch's
 * Linear layout (`f.0.weight` [n_f, n_c]). Built from plain differentiable ops, so gradients of
 * input gradients (the gradient penalty `pg_control`) work on every backend.
 */
function mlp(size: NetSize): Architecture {
  const { n_c, n_f } = size;
  return {
    params: [...linearSpec("f.0", n_c, n_f), ...linearSpec("f.2", n_f, n_f), ...linearSpec("f.4", n_f, 1)],
    inputShape: [n_c],
    energy(p, x) {
      const lin = (k: string, h: tf.Tensor2D) => tf.add(tf.matMul(h, p[`${k}.weight`] as tf.Tensor2D), p[`${k}.bias`]) as tf.Tensor2D;
      const h1 = leakyRelu(lin("f.0", x as tf.Tensor2D), MLP_LEAK);
      const h2 = leakyRelu(lin("f.2", h1), MLP_LEAK);
      return tf.reshape(lin("f.4", h2), [-1]) as tf.Tensor1D;
    },
  };
}

/** LeakyReLU slope of the `mlp` energy (the VERA seed's 0.2). */
export const MLP_LEAK = 0.2;

function vanilla(size: NetSize): Architecture {
  const { n_c, n_f } = size;
  const layers = [
    { cin: n_c, cout: n_f, k: 3, stride: 1, pad: 1 },
    { cin: n_f, cout: 2 * n_f, k: 4, stride: 2, pad: 1 },
    { cin: 2 * n_f, cout: 4 * n_f, k: 4, stride: 2, pad: 1 },
    { cin: 4 * n_f, cout: 8 * n_f, k: 4, stride: 2, pad: 1 },
    { cin: 8 * n_f, cout: 1, k: 4, stride: 1, pad: 0 },
  ];
  return {
    params: layers.flatMap((l, i) => convSpec(`f.${2 * i}`, l.cin, l.cout, l.k)),
    inputShape: [32, 32, n_c],
    energy(p, x) {
      let h = x as tf.Tensor4D;
      layers.forEach((l, i) => {
        const w = p[`f.${2 * i}.weight`] as tf.Tensor4D, b = p[`f.${2 * i}.bias`] as tf.Tensor1D;
        h = i < layers.length - 1 ? convLeakyRelu(h, w, b, l.stride, l.pad) : conv(h, w, b, l.stride, l.pad);
      });
      return tf.reshape(h, [-1]) as tf.Tensor1D;
    },
  };
}

function nonLocalSpec(prefix: string, c: number): ParamSpec[] {
  const inter = Math.max(1, Math.floor(c / 2));
  return [
    ...convSpec(`${prefix}.g.0`, c, inter, 1),
    ...convSpec(`${prefix}.theta`, c, inter, 1),
    ...convSpec(`${prefix}.phi.0`, c, inter, 1),
    ...convSpec(`${prefix}.W`, inter, c, 1, true),
  ];
}

/** Embedded-Gaussian non-local block with sub-sampled g and φ, residual output (NHWC). */
function nonLocal(p: ParamMap, prefix: string, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const w4 = (k: string) => p[`${prefix}.${k}.weight`] as tf.Tensor4D, b1 = (k: string) => p[`${prefix}.${k}.bias`] as tf.Tensor1D;
  const inter = w4("theta").shape[3];
  const g = tf.reshape(maxPool2(conv(x, w4("g.0"), b1("g.0"), 1, 0)), [n, -1, inter]) as tf.Tensor3D; // [N, HW/4, inter]
  const theta = tf.reshape(conv(x, w4("theta"), b1("theta"), 1, 0), [n, h * w, inter]) as tf.Tensor3D; // [N, HW, inter]
  const phi = tf.reshape(maxPool2(conv(x, w4("phi.0"), b1("phi.0"), 1, 0)), [n, -1, inter]) as tf.Tensor3D; // [N, HW/4, inter]
  const attention = tf.softmax(tf.matMul(theta, phi, false, true)); // [N, HW, HW/4]
  const y = tf.reshape(tf.matMul(attention, g), [n, h, w, inter]) as tf.Tensor4D;
  return tf.add(conv(y, w4("W"), b1("W"), 1, 0), x);
}

function nonlocal(size: NetSize): Architecture {
  const { n_c, n_f } = size;
  const params = [
    ...convSpec("convs.0", n_c, n_f, 3),
    ...nonLocalSpec("convs.3", n_f),
    ...convSpec("convs.4", n_f, 2 * n_f, 3),
    ...nonLocalSpec("convs.7", 2 * n_f),
    ...convSpec("convs.8", 2 * n_f, 4 * n_f, 3),
    ...linearSpec("fc.0", 4 * n_f * 4 * 4, 8 * n_f),
    ...linearSpec("fc.2", 8 * n_f, 1),
  ];
  return {
    params,
    inputShape: [32, 32, n_c],
    energy(p, x) {
      const c = (k: string, h: tf.Tensor4D) => conv(h, p[`${k}.weight`] as tf.Tensor4D, p[`${k}.bias`] as tf.Tensor1D, 1, 1);
      let h = maxPool2(leakyRelu(c("convs.0", x as tf.Tensor4D)));
      h = nonLocal(p, "convs.3", h);
      h = maxPool2(leakyRelu(c("convs.4", h)));
      h = nonLocal(p, "convs.7", h);
      h = maxPool2(leakyRelu(c("convs.8", h)));
      // PyTorch flattens NCHW: channel-major order before fc.0.
      const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [h.shape[0], -1]) as tf.Tensor2D;
      const f = leakyRelu(dense(flat, p["fc.0.weight"] as tf.Tensor2D, p["fc.0.bias"] as tf.Tensor1D));
      return tf.reshape(dense(f, p["fc.2.weight"] as tf.Tensor2D, p["fc.2.bias"] as tf.Tensor1D), [-1]) as tf.Tensor1D;
    },
  };
}

/**
 * The FCE seed's 2-D EBM (SPEC §5): energy U(x) = f(x) + c, so log p(x) = −f(x) − c, with f an
 * MLP 2→n_f→n_f→1 (LeakyReLU 0.2; the seed's n_f is 128) and c a learnable log-normaliser
 * initialised to 1. Keys and layouts are the seed's state_dict: `f.0`, `f.2`, `f.4` linears, `c` [1].
 */
function fce(size: NetSize): Architecture {
  const { n_f } = size;
  return {
    params: [
      ...linearSpec("f.0", 2, n_f),
      ...linearSpec("f.2", n_f, n_f),
      ...linearSpec("f.4", n_f, 1),
      { key: "c", torchShape: [1], layout: "vector", init: { kind: "constant", value: 1 } },
    ],
    inputShape: [2],
    energy(p, x) {
      const w = (k: string) => p[`${k}.weight`] as tf.Tensor2D, b = (k: string) => p[`${k}.bias`] as tf.Tensor1D;
      let h = denseLeakyRelu(x as tf.Tensor2D, w("f.0"), b("f.0"), 0.2);
      h = denseLeakyRelu(h, w("f.2"), b("f.2"), 0.2);
      return tf.add(tf.reshape(dense(h, w("f.4"), b("f.4")), [-1]), p.c) as tf.Tensor1D;
    },
  };
}

/** Network types: the paper's three, VERA's small MLP (`mlp`, n_c inputs, n_f hidden) and the FCE seed's 2-D EBM (`fce`). */
export type NetType = "toy" | "vanilla" | "nonlocal" | "mlp" | "fce";

/** Architecture factories by type. */
export const ARCHITECTURES: Record<NetType, (size: NetSize) => Architecture> = { toy, vanilla, nonlocal, mlp, fce };
