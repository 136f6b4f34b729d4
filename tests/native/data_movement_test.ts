/**
 * The native SplitV / Concat / Tile / Relu / Neg / Square loops (`lib/tensor/native/kernels/data_movement.ts`)
 * give bit-identical results and shapes to the cpu kernels, take the fast path for float32 and
 * hand other dtypes to cpu; Relu maps −0 and NaN as cpu does; gradients through split/concat
 * (Glow's couplings) agree.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions
import { assert, assertClose, assertEquals } from "../assert.ts";
import { assertIdentical, ensureNative, normals, useBackend } from "./parity.ts";
import { nativeStats } from "../../lib/tensor/native/install.ts";

await ensureNative();

const fallbacks = (kernel: string) => nativeStats().fallbacks[kernel] ?? 0;

/** Runs `fn` on native then cpu; returns both results' shapes and values. */
function onBoth(fn: () => tf.Tensor[]): { native: { shape: number[]; values: Float32Array }[]; cpu: { shape: number[]; values: Float32Array }[] } {
  const run = (backend: string) => {
    useBackend(backend);
    return tf.tidy(() => fn().map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array })));
  };
  return { native: run("native"), cpu: run("cpu") };
}

function assertSame(r: ReturnType<typeof onBoth>, label: string): void {
  assertEquals(r.native.length, r.cpu.length, `${label}: outputs`);
  r.native.forEach((n, i) => {
    assertEquals(n.shape, r.cpu[i].shape, `${label}: shape of output ${i}`);
    assertIdentical(n.values, r.cpu[i].values, `${label}: output ${i}`);
  });
}

const t = (shape: number[], seed: number) => tf.tensor(normals(shape.reduce((a, b) => a * b, 1), seed), shape);

const splits: Array<{ shape: number[]; sizes: number | number[]; axis: number }> = [
  { shape: [1000, 2], sizes: 2, axis: 1 },
  { shape: [7, 6], sizes: [1, 3, 2], axis: -1 },
  { shape: [3, 4, 5], sizes: [1, -1], axis: 1 },
  { shape: [6, 5], sizes: 3, axis: 0 },
  { shape: [2, 3, 4, 2], sizes: [3, 1], axis: 2 },
];
for (const [i, c] of splits.entries()) {
  Deno.test(`native SplitV ${JSON.stringify(c)} matches cpu bit for bit, on the fast path`, () => {
    const before = fallbacks("SplitV");
    assertSame(onBoth(() => tf.split(t(c.shape, 70 + i), c.sizes, c.axis)), "split");
    assertEquals(fallbacks("SplitV"), before, "expected the fast path");
  });
}

const concats: Array<{ shapes: number[][]; axis: number }> = [
  { shapes: [[1000, 1], [1000, 1]], axis: 1 },
  { shapes: [[4, 2, 3], [4, 5, 3], [4, 1, 3]], axis: 1 },
  { shapes: [[2, 3], [4, 3]], axis: 0 },
  { shapes: [[3, 2], [3, 1]], axis: -1 },
  { shapes: [[5]], axis: 0 },
];
for (const [i, c] of concats.entries()) {
  Deno.test(`native Concat ${JSON.stringify(c)} matches cpu bit for bit, on the fast path`, () => {
    const before = fallbacks("Concat");
    assertSame(onBoth(() => [tf.concat(c.shapes.map((s, k) => t(s, 80 + 10 * i + k)), c.axis)]), "concat");
    assertEquals(fallbacks("Concat"), before, "expected the fast path");
  });
}

const tiles: Array<{ shape: number[]; reps: number[] }> = [
  { shape: [1, 200, 2], reps: [20, 1, 1] }, // VERA's posterior pass: x repeated for K samples
  { shape: [3, 4], reps: [2, 3] },
  { shape: [2, 3, 2], reps: [1, 2, 3] },
  { shape: [5], reps: [4] },
  { shape: [2, 3], reps: [1, 1] },
];
for (const [i, c] of tiles.entries()) {
  Deno.test(`native Tile ${JSON.stringify(c)} matches cpu bit for bit, on the fast path`, () => {
    const before = fallbacks("Tile");
    assertSame(onBoth(() => [tf.tile(t(c.shape, 60 + i), c.reps)]), "tile");
    assertEquals(fallbacks("Tile"), before, "expected the fast path");
  });
}

Deno.test("native Tile hands int32 to the cpu kernel, and its gradient matches cpu", () => {
  const before = fallbacks("Tile");
  const run = (backend: string) => {
    useBackend(backend);
    return tf.tidy(() => Array.from(tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], "int32"), [2, 1]).dataSync()));
  };
  assertEquals(run("native"), run("cpu"));
  assertEquals(fallbacks("Tile") - before, 1, "one fallback");
  const g = onBoth(() => [tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, [3, 2]), t([6, 4], 69))))(t([2, 2], 68))]);
  assertSame(g, "tile gradient");
});

Deno.test("native Square matches cpu bit for bit, −0, NaN, infinities and overflow included", () => {
  const special = [NaN, -0, 0, -1, 2.5, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 1.1e-19, 16777217];
  const before = fallbacks("Square");
  assertSame(onBoth(() => [tf.square(tf.tensor(special))]), "square special values");
  assertSame(onBoth(() => [tf.square(t([4000, 100], 91))]), "square [4000, 100]");
  assertEquals(fallbacks("Square"), before, "expected the fast path");
});

Deno.test("native Relu and Neg match cpu bit for bit, −0, NaN and infinities included", () => {
  const special = [NaN, -0, 0, -1, 2.5, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38];
  const before = fallbacks("Relu") + fallbacks("Neg");
  // Special values scattered through a long buffer reach oneDNN's vector body and its tail.
  const scattered = normals(40_003, 92);
  for (let i = 0; i < scattered.length; i += 7) scattered[i] = special[(i / 7) % special.length];
  for (const op of [tf.relu, tf.neg]) {
    assertSame(onBoth(() => [op(tf.tensor(special))]), `${op.name} special values`);
    assertSame(onBoth(() => [op(tf.tensor(scattered))]), `${op.name} scattered special values`);
    assertSame(onBoth(() => [op(t([1000, 64], 90))]), `${op.name} [1000, 64]`);
  }
  assertEquals(fallbacks("Relu") + fallbacks("Neg"), before, "expected the fast path");
  useBackend("native");
  const r = tf.relu(tf.tensor([-0, -2])).dataSync();
  assert(Object.is(r[0], 0) && Object.is(r[1], 0), `relu(−0), relu(−2) must be +0 as on cpu, got ${r[0]}, ${r[1]}`);
});

Deno.test("native SplitV / Concat / Neg hand int32 to the cpu kernels, with the same results", () => {
  const before = fallbacks("SplitV") + fallbacks("Concat") + fallbacks("Neg");
  const run = (backend: string) => {
    useBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32");
      const [a, b] = tf.split(x, 2, 1);
      return Array.from(tf.neg(tf.concat([b, a], 1)).dataSync());
    });
  };
  const native = run("native");
  assertEquals(fallbacks("SplitV") + fallbacks("Concat") + fallbacks("Neg") - before, 3, "one fallback each");
  assertEquals(native, run("cpu"));
  assertEquals(native, [-2, -1, -4, -3, -6, -5]);
});

Deno.test("gradients through split, relu, neg and concat (a coupling's pattern) match cpu (1e-6: oneDNN's matmul sums in another order)", () => {
  const grads = onBoth(() => {
    const x = t([50, 2], 95), w = tf.variable(t([1, 8], 96), true, `w_${tf.getBackend()}`);
    const { value, grads } = tf.variableGrads(() => {
      const [a, b] = tf.split(x, 2, 1);
      const h = tf.relu(tf.matMul(b, tf.neg(w as tf.Tensor2D)));
      return tf.sum(tf.concat([tf.mul(a, tf.sum(h, 1, true)), b], 1));
    }, [w]);
    const out = [value, ...Object.values(grads)];
    w.dispose();
    return out;
  });
  assertEquals(grads.native.map((g) => g.shape), grads.cpu.map((g) => g.shape));
  grads.native.forEach((g, i) => assertClose(g.values, grads.cpu[i].values, 1e-6, `output ${i}`));
});
