/**
 * The wasm backend's single-pass heap kernels against the cpu backend: the fused layer's
 * activation gradient (bit-exact, ±0 and infinities included; NaN in y passes dy), Sum over leading axes (≤ 1e-5, other
 * reductions still on the stock kernel), the pair interleave and batch↔channel swap (exact,
 * against tf.stack / tf.transpose) and the thin-layer filter gradient (≤ 1e-5).
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { ensureFusedLayerKernels } from "../../lib/nets/fused_layer.ts";
import { LEAKY_RELU_GRAD_FROM_OUTPUT } from "../../lib/nets/kernel_names.ts";
import { Random } from "../../lib/util/random.ts";
import { INTERLEAVE2, stackPair } from "../../lib/tensor/kernels/stack_pair.ts";
import { SWAP_BATCH_CHANNELS, THIN_FILTER_GRAD } from "../../lib/tensor/kernels/conv2d_grads.ts";
import { assert, assertClose, assertEquals } from "../assert.ts";

await initBackend("cpu");
await initBackend("wasm");

async function onEach<T>(fn: () => Promise<T>): Promise<{ cpu: T; wasm: T }> {
  await tf.setBackend("cpu");
  ensureFusedLayerKernels(); // cpu gets the composed reference version
  const cpu = await fn();
  await tf.setBackend("wasm");
  return { cpu, wasm: await fn() };
}

Deno.test("wasm EbmLeakyReluGradFromOutput equals the composed cpu kernel bit for bit (y not NaN)", async () => {
  const n = 2 * 9 * 7 * 5;
  const yv = new Random(3).normalArray(n), dyv = new Random(4).normalArray(n);
  yv.set([0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40], 0);
  for (const alpha of [0.05, 0, 0.3]) {
    const { cpu, wasm } = await onEach(async () => {
      const y = tf.tensor(yv, [2, 9, 7, 5]), dy = tf.tensor(dyv, [2, 9, 7, 5]);
      const dx = tf.engine().runKernel(LEAKY_RELU_GRAD_FROM_OUTPUT, { dy, y }, { alpha }) as tf.Tensor;
      const out = await dx.data() as Float32Array;
      tf.dispose([y, dy, dx]);
      return out;
    });
    // Where y is NaN the contract leaves dx unspecified (ours passes dy, composed gives NaN).
    const defined = (v: Float32Array) => Array.from(new Uint32Array(v.buffer)).filter((_, i) => !Number.isNaN(yv[i]));
    assertEquals(defined(wasm), defined(cpu), `alpha ${alpha}: bits where y is not NaN`);
    assertEquals(wasm[2], dyv[2], `alpha ${alpha}: dy passes where y is NaN`);
  }
});

const SUMS: [string, number[], number | number[], boolean][] = [
  ["bias gradient [N,H,W,C] over 0,1,2", [50, 8, 8, 16], [0, 1, 2], false],
  ["keepDims, axes unordered and negative", [3, 5, 7, 4], [-2, 0, -3], true],
  ["2-D over rows", [1000, 3], 0, false],
  ["not leading: axis 1 (stock kernel)", [4, 6, 5], 1, false],
  ["all axes (stock kernel)", [4, 6, 5], [0, 1, 2], false],
  ["last axis (stock kernel)", [4, 6, 5], -1, true],
];

for (const [name, shape, axis, keepDims] of SUMS) {
  Deno.test(`wasm Sum matches cpu: ${name}`, async () => {
    // Mean 0.5: sums do not cancel to near zero, where any float32 order differs by more than 1e-5.
    const values = new Random(7).uniformArray(shape.reduce((a, b) => a * b, 1), -1, 2);
    const { cpu, wasm } = await onEach(async () => {
      const x = tf.tensor(values, shape), s = tf.sum(x, axis, keepDims);
      const out = { shape: s.shape, data: await s.data() as Float32Array };
      tf.dispose([x, s]);
      return out;
    });
    assertEquals(wasm.shape, cpu.shape, "shape");
    assertClose(wasm.data, cpu.data, 1e-5, name);
  });
}

Deno.test("wasm Sum of int32 leading axes still works (stock kernel)", async () => {
  await tf.setBackend("wasm");
  const s = tf.sum(tf.tensor([[1, 2], [3, 4], [5, 6]], [3, 2], "int32"), 0);
  assertEquals([s.dtype, Array.from(await s.data())], ["int32", [9, 12]]);
});

Deno.test("wasm EbmInterleave2 equals tf.stack of the pair on every axis, empty tensors included", async () => {
  for (const shape of [[3, 4, 5, 2], [2, 3], [0, 4]]) {
    for (let axis = 0; axis <= shape.length; axis++) {
      const size = shape.reduce((a, b) => a * b, 1);
      const av = new Random(1).normalArray(size), bv = new Random(2).normalArray(size);
      const { cpu, wasm } = await onEach(async () => {
        const a = tf.tensor(av, shape), b = tf.tensor(bv, shape);
        const s = stackPair(a, b, axis);
        const out = { shape: s.shape, data: Array.from(await s.data()) };
        tf.dispose([a, b, s]);
        return out;
      });
      assertEquals(wasm, cpu, `shape [${shape}] axis ${axis}`);
    }
  }
  await tf.setBackend("wasm");
  assert(tf.getKernel(INTERLEAVE2, "wasm") !== undefined, "the wasm kernel is registered (else the comparison above ran tf.stack twice)");
});

Deno.test("wasm EbmSwapBatchChannels equals transpose [3, 1, 2, 0] exactly", async () => {
  await tf.setBackend("wasm");
  assert(tf.getKernel(SWAP_BATCH_CHANNELS, "wasm") !== undefined, "the wasm kernel is registered");
  for (const shape of [[4, 3, 5, 8], [100, 6, 6, 32], [8, 1, 1, 4], [0, 2, 2, 4]] as [number, number, number, number][]) {
    const x = tf.tensor4d(new Random(5).normalArray(shape.reduce((a, b) => a * b, 1)), shape);
    const got = tf.engine().runKernel(SWAP_BATCH_CHANNELS, { x }) as tf.Tensor;
    const want = tf.transpose(x, [3, 1, 2, 0]);
    assertEquals([got.shape, Array.from(await got.data())], [want.shape, Array.from(await want.data())], `[${shape}]`);
    tf.dispose([x, got, want]);
  }
});

Deno.test("wasm EbmThinFilterGrad matches the cpu filter gradient of thin layers", async () => {
  for (const [xShape, k, cout, pad] of [[[6, 12, 10, 3], 3, 32, 1], [[3, 7, 9, 2], 1, 8, 0], [[2, 9, 8, 4], 2, 4, 0]] as [number[], number, number, number][]) {
    const wShape = [k, k, xShape[3], cout];
    const xv = new Random(1).normalArray(xShape.reduce((a, b) => a * b, 1)), wv = new Random(2).normalArray(wShape.reduce((a, b) => a * b, 1));
    const { cpu, wasm } = await onEach(async () => {
      const x = tf.tensor4d(xv, xShape as [number, number, number, number]), w = tf.tensor4d(wv, wShape as [number, number, number, number]);
      const dw = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, 1, pad === 0 ? "valid" : [[0, 0], [pad, pad], [pad, pad], [0, 0]]))))(w);
      const out = await dw.data() as Float32Array;
      tf.dispose([x, w, dw]);
      return out;
    });
    assertClose(wasm, cpu, 1e-5, `x [${xShape}] k ${k} cout ${cout}`);
  }
  assert(tf.getKernel(THIN_FILTER_GRAD, "wasm") !== undefined, "the wasm kernel is registered");
});
