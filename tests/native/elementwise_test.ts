/**
 * The native backend's fast elementwise kernels and leading-axes `Sum` match the cpu backend
 * (exactly for elementwise ops; within 1e-6 for sums), on the shapes LeakyReLU/PReLU and bias
 * gradients produce, and fall back to cpu for other broadcasts.
 */
import { assert, assertClose, assertEquals } from "../assert.ts";
import * as tf from "@tensorflow/tfjs-core";
import { ensureNative, runOnBoth, useBackend } from "./parity.ts";
import { nativeStats } from "../../lib/tensor/native/install.ts";

await ensureNative();

const ACT = [2, 16, 16, 32];

/** Bit-for-bit equality, reporting the first differing element only. */
function assertIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assertEquals(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

const ATT = [2, 256, 64]; // a non-local block's attention matrix
const ROW = [2, 256, 1];

const cases: Array<{ kernel: string; inputs: Record<string, number[]>; attrs?: Record<string, unknown>; fast: boolean }> = [
  { kernel: "Prelu", inputs: { x: ACT, alpha: [] }, fast: true },
  { kernel: "Prelu", inputs: { x: ACT, alpha: [32] }, fast: true },
  { kernel: "Prelu", inputs: { x: ACT, alpha: ACT }, fast: true },
  { kernel: "Prelu", inputs: { x: [2, 3, 4], alpha: [3, 1] }, fast: false },
  { kernel: "LeakyRelu", inputs: { x: ACT }, attrs: { alpha: 0.05 }, fast: true },
  { kernel: "Multiply", inputs: { a: ACT, b: ACT }, fast: true },
  { kernel: "Multiply", inputs: { a: ACT, b: [] }, fast: true },
  { kernel: "Multiply", inputs: { a: [1], b: ACT }, fast: true },
  { kernel: "Multiply", inputs: { a: ACT, b: [32] }, fast: true },
  { kernel: "Multiply", inputs: { a: ROW, b: ATT }, fast: true },
  { kernel: "Multiply", inputs: { a: [2, 1, 4], b: [3, 1] }, fast: false },
  { kernel: "Add", inputs: { a: ACT, b: [32] }, fast: true },
  { kernel: "Add", inputs: { a: [32], b: ACT }, fast: true },
  { kernel: "Add", inputs: { a: ACT, b: ACT }, fast: true },
  { kernel: "Add", inputs: { a: [], b: [] }, fast: true },
  { kernel: "RealDiv", inputs: { a: ACT, b: ACT }, fast: true },
  { kernel: "RealDiv", inputs: { a: ACT, b: [] }, fast: true },
  { kernel: "RealDiv", inputs: { a: ATT, b: ROW }, fast: true },
  { kernel: "RealDiv", inputs: { a: [], b: ACT }, fast: false },
  { kernel: "Sub", inputs: { a: ATT, b: ROW }, fast: true },
  { kernel: "Sub", inputs: { a: ACT, b: [] }, fast: true },
  { kernel: "Sub", inputs: { a: [32], b: ACT }, fast: true },
  { kernel: "Sub", inputs: { a: [1, 200, 2], b: [20, 200, 2] }, fast: true }, // VERA's x − g(h_k)
  { kernel: "Sub", inputs: { a: [2, 1, 4], b: [3, 1] }, fast: false },
  { kernel: "Greater", inputs: { a: ACT, b: [] }, fast: true },
  { kernel: "Greater", inputs: { a: [], b: ACT }, fast: true },
  { kernel: "Greater", inputs: { a: ACT, b: ACT }, fast: true },
  { kernel: "Step", inputs: { x: ACT }, attrs: { alpha: 0.05 }, fast: true },
  { kernel: "Step", inputs: { x: [7] }, attrs: { alpha: 0 }, fast: true },
  { kernel: "Softmax", inputs: { logits: ATT }, attrs: { dim: -1 }, fast: true },
  { kernel: "Softmax", inputs: { logits: [7, 5] }, attrs: { dim: 1 }, fast: true },
  { kernel: "Transpose", inputs: { x: [2, 4, 4, 128] }, attrs: { perm: [0, 3, 1, 2] }, fast: true },
  { kernel: "Transpose", inputs: { x: ATT }, attrs: { perm: [0, 2, 1] }, fast: true },
  { kernel: "Transpose", inputs: { x: [3, 5] }, attrs: { perm: [1, 0] }, fast: true },
  { kernel: "Sum", inputs: { x: ACT }, attrs: { axis: [0, 1, 2], keepDims: false }, fast: true },
  { kernel: "Sum", inputs: { x: ACT }, attrs: { axis: [2, 0, 1], keepDims: true }, fast: true },
  { kernel: "Sum", inputs: { x: ACT }, attrs: { axis: [0, 1, 2, 3], keepDims: false }, fast: true },
  { kernel: "Sum", inputs: { x: [100, 2048] }, attrs: { axis: 0, keepDims: false }, fast: true },
  { kernel: "Sum", inputs: { x: [7, 3, 5] }, attrs: { axis: [0, 1], keepDims: false }, fast: true },
  { kernel: "Sum", inputs: { x: ACT }, attrs: { axis: [1, 2, 3], keepDims: false }, fast: true },
  { kernel: "Sum", inputs: { x: ACT }, attrs: { axis: [3, 2], keepDims: true }, fast: true },
  { kernel: "Sum", inputs: { x: [100, 3072] }, attrs: { axis: 1, keepDims: false }, fast: true },
  { kernel: "Sum", inputs: { x: ACT }, attrs: { axis: [0, 2], keepDims: false }, fast: false },
];

/** Kernels whose native result may differ from cpu in the last bits (see the comment below). */
const APPROXIMATE = new Set(["Sum", "LeakyRelu", "Softmax"]);

cases.forEach((c, i) => {
  const label = `${c.kernel} ${JSON.stringify(c.inputs)} ${JSON.stringify(c.attrs ?? {})}`;
  Deno.test(`native ${label} matches cpu (${c.fast ? "fast path" : "cpu fallback"})`, () => {
    const { native, cpu, fallbacks } = runOnBoth(c.kernel, c.inputs, (c.attrs ?? {}) as never, 900 + i);
    // Sum: different summation order. LeakyRelu: the cpu kernel multiplies by the float64 slope,
    // oneDNN by its float32 rounding. Softmax: oneDNN's vectorised exp. All differ in the last bits.
    if (APPROXIMATE.has(c.kernel)) assertClose(native, cpu, 1e-6, label);
    else assertIdentical(native, cpu, label);
    if (c.fast) assertEquals(fallbacks, 0, "expected the fast path");
    else assert(fallbacks > 0, "expected the cpu fallback");
  });
});

Deno.test("native Sub with a broadcast first operand ((−b) + a) keeps cpu's signed zeros, infinities and NaN", () => {
  const special = [0, -0, 1.5, -2, Infinity, -Infinity, NaN, 3.4e38];
  const b = [...special, ...special.map((v) => -v), ...special.slice().reverse()];
  const run = (backend: string) => {
    useBackend(backend);
    return tf.tidy(() => tf.sub(tf.tensor(special, [1, 8]), tf.tensor(b, [3, 8])).dataSync() as Float32Array);
  };
  const before = nativeStats().fallbacks.Sub ?? 0;
  const native = run("native");
  assertEquals(nativeStats().fallbacks.Sub ?? 0, before, "expected the fast path");
  assertIdentical(native, run("cpu"), "special values");
  assert(Object.is(native[0], 0) && Object.is(native[1], 0), "x − x is +0 for x = ±0, as cpu");
});

Deno.test("native Step keeps NaN and maps 0 to alpha, as cpu", async () => {
  const tf = await import("@tensorflow/tfjs-core");
  const run = (backend: string) => {
    void tf.setBackend(backend);
    return tf.tidy(() => tf.step(tf.tensor([NaN, 0, -0, -1, 2, Infinity, -Infinity]), 0.05).dataSync());
  };
  assertIdentical(run("native"), run("cpu"), "step");
});

Deno.test("native Select matches cpu for a same-shape condition", async () => {
  const tf = await import("@tensorflow/tfjs-core");
  const run = (backend: string) => {
    void tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.randomNormal(ACT, 0, 1, "float32", 3);
      const y = tf.randomNormal(ACT, 0, 1, "float32", 4);
      return tf.where(tf.greater(x, 0), x, y).dataSync();
    });
  };
  assertIdentical(run("native"), run("cpu"), "where(x > 0, x, y)");
});
