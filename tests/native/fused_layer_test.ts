/**
 * The fused conv + bias + leaky-ReLU layer (`lib/nets/fused_layer.ts`) and its activation
 * gradient kernel: native (oneDNN) matches the cpu composition within 1e-5 on every NHWC layer
 * shape of the three networks, the gradient matches unfused cpu ops, and a gradient with respect
 * to x alone never computes a filter gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions (conv2d, add, prelu, …)
import { assert, assertClose, assertEquals } from "../assert.ts";
import { CONV_CASES } from "./layer_shapes.ts";
import { assertIdentical, ensureNative, normals, runOnBoth } from "./parity.ts";
import { convBiasLeakyRelu, ensureFusedLayerKernels } from "../../lib/nets/fused_layer.ts";
import { CONV_BIAS_LEAKY_RELU, LEAKY_RELU_GRAD_FROM_OUTPUT } from "../../lib/tensor/kernels/kernel_names.ts";
import { nativeProfile } from "../../lib/tensor/native/install.ts";

const TOLERANCE = 1e-5;
const SLOPE = 0.05;

await ensureNative();
for (const backend of ["cpu", "native"]) {
  await tf.setBackend(backend);
  ensureFusedLayerKernels();
}

function outShape(x: number[], filter: number[], strides: number | [number, number], pad: "same" | "valid" | number): number[] {
  const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], filter as [number, number, number, number], strides, 1, pad);
  return info.outShape;
}

const NHWC_CASES = CONV_CASES.filter((c) => (c.dataFormat ?? "NHWC") === "NHWC" && (c.dilations ?? 1) === 1);

NHWC_CASES.forEach((c, i) => {
  Deno.test(`native ${CONV_BIAS_LEAKY_RELU} matches cpu: ${c.name}`, () => {
    const attrs = { strides: c.strides, pad: c.pad, alpha: SLOPE };
    const { native, cpu } = runOnBoth(CONV_BIAS_LEAKY_RELU, { x: c.x, filter: c.filter, bias: [c.filter[3]] }, attrs, 500 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
  });

  Deno.test(`native ${LEAKY_RELU_GRAD_FROM_OUTPUT} matches cpu: output of ${c.name}`, () => {
    const shape = outShape(c.x, c.filter, c.strides, c.pad);
    const { native, cpu } = runOnBoth(LEAKY_RELU_GRAD_FROM_OUTPUT, { dy: shape, y: shape }, { alpha: SLOPE }, 600 + i);
    // One multiply per element on both sides (alpha rounded to float32 in oneDNN).
    assertClose(native, cpu, 1e-6, c.name);
  });
});

Deno.test(`${LEAKY_RELU_GRAD_FROM_OUTPUT}: zeros and infinities in y give identical results on native and cpu; NaN gives dy or NaN`, () => {
  const y = [0, -0, 1, -1, Infinity, -Infinity, 1e-30, -1e-30, NaN];
  const dy = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const run = (backend: string) => {
    void tf.setBackend(backend);
    return tf.tidy(() => (tf.engine().runKernel(LEAKY_RELU_GRAD_FROM_OUTPUT, { dy: tf.tensor(dy), y: tf.tensor(y) }, { alpha: 0.5 }) as tf.Tensor).dataSync());
  };
  const native = run("native"), cpu = run("cpu");
  const expected = [0.5, 1, 3, 2, 5, 3, 7, 4];
  assertIdentical(native.slice(0, 8), expected, "native");
  assertIdentical(cpu.slice(0, 8), expected, "cpu");
  // The contract leaves NaN inputs unspecified between dy and NaN (see kernel_names.ts).
  for (const [name, v] of [["native", native[8]], ["cpu", cpu[8]]] as const) assert(v === 9 || Number.isNaN(v), `${name}: NaN input gave ${v}`);
});

/** Seeded layer inputs as tensors (x, w, b) for a case. */
function layerInputs(x: number[], filter: number[], seed: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D] {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return [
    tf.tensor(normals(size(x), seed), x as [number, number, number, number]) as tf.Tensor4D,
    tf.tensor(normals(size(filter), seed + 1).map((v) => v * 0.2), filter as [number, number, number, number]) as tf.Tensor4D,
    tf.tensor(normals(filter[3], seed + 2), [filter[3]]) as tf.Tensor1D,
  ];
}

/** Gradients of Σ r·layer(x, w, b) for x, w and b, flattened in that order. */
function layerGrads(backend: string, fused: boolean, x: number[], filter: number[], stride: number, pad: number, seed: number): Float32Array[] {
  void tf.setBackend(backend);
  return tf.tidy(() => {
    const [xt, wt, bt] = layerInputs(x, filter, seed);
    const layer = (a: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D): tf.Tensor4D => {
      if (fused) return convBiasLeakyRelu(a, w, b, stride, pad, SLOPE);
      const padding = pad === 0 ? "valid" : [[0, 0], [pad, pad], [pad, pad], [0, 0]] as tf.backend_util.ExplicitPadding;
      return tf.leakyRelu(tf.add(tf.conv2d(a, w, stride, padding), b), SLOPE);
    };
    const r = tf.tensor(normals(outShape(x, filter, stride, pad).reduce((a, b) => a * b, 1), seed + 3), outShape(x, filter, stride, pad));
    const grads = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layer(a as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D), r)))([xt, wt, bt]);
    return grads.map((g) => g.dataSync() as Float32Array);
  });
}

const GRAD_CASES: Array<{ name: string; x: number[]; filter: number[]; stride: number; pad: number }> = [
  // Batch 1: tfjs's cpu filter gradient (the reference) is slow.
  { name: "Vanilla conv1 3x3 s1 p1", x: [1, 32, 32, 3], filter: [3, 3, 3, 32], stride: 1, pad: 1 },
  { name: "Vanilla conv2 4x4 s2 p1", x: [1, 32, 32, 32], filter: [4, 4, 32, 64], stride: 2, pad: 1 },
  { name: "Vanilla conv4 4x4 s2 p1", x: [1, 8, 8, 128], filter: [4, 4, 128, 256], stride: 2, pad: 1 },
  { name: "Nonlocal conv2 3x3 s1 p1", x: [1, 16, 16, 32], filter: [3, 3, 32, 64], stride: 1, pad: 1 },
  { name: "odd 3x3 s2 p0", x: [3, 7, 9, 5], filter: [3, 3, 5, 6], stride: 2, pad: 0 },
];

GRAD_CASES.forEach((c, i) => {
  Deno.test(`fused layer gradients (x, w, b) on native match unfused cpu ops: ${c.name}`, () => {
    const native = layerGrads("native", true, c.x, c.filter, c.stride, c.pad, 700 + 10 * i);
    const cpu = layerGrads("cpu", false, c.x, c.filter, c.stride, c.pad, 700 + 10 * i);
    ["x", "w", "b"].forEach((name, k) => assertClose(native[k], cpu[k], TOLERANCE, `${c.name} d${name}`));
  });
});

Deno.test("fused layer gradients on cpu (composed kernels) equal unfused cpu ops", () => {
  const c = GRAD_CASES[4];
  const fused = layerGrads("cpu", true, c.x, c.filter, c.stride, c.pad, 800);
  const plain = layerGrads("cpu", false, c.x, c.filter, c.stride, c.pad, 800);
  ["x", "w", "b"].forEach((name, k) => assertClose(fused[k], plain[k], 1e-6, `d${name}`));
});

Deno.test("a gradient with respect to x alone computes no filter gradient and leaks no tensors", () => {
  void tf.setBackend("native");
  const [x, w, b] = layerInputs([4, 16, 16, 32], [4, 4, 32, 64], 900);
  const before = tf.memory().numTensors;
  nativeProfile.reset();
  nativeProfile.enable();
  const dx = tf.grad((a: tf.Tensor) => tf.sum(convBiasLeakyRelu(a as tf.Tensor4D, w, b, 2, 1, SLOPE)))(x);
  nativeProfile.disable();
  const calls = new Map(nativeProfile.snapshot().map((r) => [r.kernel, r.calls]));
  assertEquals(calls.get("Conv2DBackpropFilter") ?? 0, 0, "filter gradient computed");
  assertEquals(calls.get("Conv2DBackpropInput"), 1, "input gradient calls");
  assertEquals(calls.get(LEAKY_RELU_GRAD_FROM_OUTPUT), 1, "activation gradient calls");
  assertEquals(tf.memory().numTensors, before + 1, "tensors left besides dx");
  tf.dispose([dx, x, w, b]);
});

Deno.test("convBiasLeakyRelu rejects a negative or non-finite slope, naming it", () => {
  const [x, w, b] = layerInputs([1, 4, 4, 2], [3, 3, 2, 2], 1);
  for (const slope of [-0.1, NaN]) {
    let message = "";
    try {
      convBiasLeakyRelu(x, w, b, 1, 1, slope);
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes("'slope'") && message.includes(String(slope)), `message: ${message}`);
  }
  tf.dispose([x, w, b]);
});
