/**
 * The wasm backend's single-pass heap kernels against the cpu backend: the fused layer's
 * activation gradient (bit-exact, ±0 and infinities included; NaN in y passes dy), Sum over leading axes (≤ 1e-5, other
 * reductions still on the stock kernel), the pair interleave and batch↔channel swap (exact,
 * against tf.stack / tf.transpose), the four-phase interleave (exact), the data-sharing Identity
 * and the thin-layer filter gradient (≤ 1e-5).
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { ensureFusedLayerKernels } from "../../lib/nets/fused_layer.ts";
import { LEAKY_RELU_GRAD_FROM_OUTPUT } from "../../lib/tensor/kernels/kernel_names.ts";
import { Random } from "../../lib/util/random.ts";
import { INTERLEAVE2, INTERLEAVE_PHASES_2X2, interleavePhases2x2, stackPair } from "../../lib/tensor/kernels/stack_pair.ts";
import { SWAP_BATCH_CHANNELS, SWAP_LEADING_AXES, THIN_FILTER_GRAD } from "../../lib/tensor/kernels/conv2d_grads.ts";
import { WASM_FMA_ENV } from "../../lib/tensor/wasm/thin_conv_module.ts";
import { stockKernel } from "../../lib/tensor/project_kernels.ts";
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

Deno.test("wasm EbmSwapBatchChannels with padding equals pad then transpose exactly (uneven pads, garbage-free borders)", async () => {
  await tf.setBackend("wasm");
  const cases: [[number, number, number, number], [number, number, number, number]][] = [
    [[4, 3, 5, 8], [1, 1, 1, 1]],
    [[8, 6, 6, 4], [2, 0, 0, 3]],
    [[4, 1, 1, 4], [0, 2, 1, 0]],
    [[100, 8, 8, 32], [1, 1, 1, 1]],
  ];
  for (const [shape, [top, bottom, left, right]] of cases) {
    // Fill the heap with non-zeros first so an unwritten border would show.
    tf.dispose(tf.fill([shape[3], shape[1] + top + bottom, shape[2] + left + right, shape[0]], 7));
    const x = tf.tensor4d(new Random(6).normalArray(shape.reduce((a, b) => a * b, 1)), shape);
    const got = tf.engine().runKernel(SWAP_BATCH_CHANNELS, { x }, { pad: { top, bottom, left, right } } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const want = tf.transpose(tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]), [3, 1, 2, 0]);
    assertEquals([got.shape, Array.from(await got.data())], [want.shape, Array.from(await want.data())], `[${shape}] pad ${[top, bottom, left, right]}`);
    tf.dispose([x, got, want]);
  }
});

Deno.test("wasm EbmThinFilterGrad matches the cpu filter gradient of thin layers", async () => {
  // ≤ 4 input channels: the register-blocked kernel of thin_conv_module.ts, with and without FMA;
  // 8 input channels (1×1): the pixel-by-pixel kernel of simd_kernels.ts.
  // pad −1: "same" (a 4×4 kernel pads 1 on top/left and 2 on bottom/right).
  const cases = [[[6, 12, 10, 3], 3, 32, 1], [[3, 7, 9, 2], 1, 8, 0], [[2, 9, 8, 4], 2, 4, 0], [[2, 5, 5, 3], 3, 36, 0], [[1, 7, 6, 1], 2, 128, 1], [[2, 6, 5, 8], 1, 16, 0], [[2, 7, 9, 3], 4, 8, -1], [[1, 3, 4, 2], 5, 4, 2]];
  for (const [[xShape, k, cout, pad], fma] of (cases as [number[], number, number, number][]).flatMap((c) => [[c, "1"], [c, "0"]] as const)) {
    Deno.env.set(WASM_FMA_ENV, fma);
    const wShape = [k, k, xShape[3], cout];
    const xv = new Random(1).normalArray(xShape.reduce((a, b) => a * b, 1)), wv = new Random(2).normalArray(wShape.reduce((a, b) => a * b, 1));
    const { cpu, wasm } = await onEach(async () => {
      const x = tf.tensor4d(xv, xShape as [number, number, number, number]), w = tf.tensor4d(wv, wShape as [number, number, number, number]);
      const dw = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, 1, pad === 0 ? "valid" : pad < 0 ? "same" : [[0, 0], [pad, pad], [pad, pad], [0, 0]]))))(w);
      const out = await dw.data() as Float32Array;
      tf.dispose([x, w, dw]);
      return out;
    });
    Deno.env.delete(WASM_FMA_ENV);
    assertClose(wasm, cpu, 1e-5, `x [${xShape}] k ${k} cout ${cout} ${WASM_FMA_ENV}=${fma}`);
  }
  assert(tf.getKernel(THIN_FILTER_GRAD, "wasm") !== undefined, "the wasm kernel is registered");
});

Deno.test("wasm Identity (tf.clone) shares data: values kept after either tensor is disposed, no leaked buffers", async () => {
  await tf.setBackend("wasm");
  const values = new Random(9).normalArray(2 * 3 * 5);
  const buffersBefore = tf.memory().numDataBuffers, tensorsBefore = tf.memory().numTensors;
  const a = tf.tensor(values, [2, 3, 5]);
  const b = tf.clone(a);
  assertEquals(tf.memory().numDataBuffers, buffersBefore + 1, "one buffer for the tensor and its clone");
  a.dispose();
  assertEquals(Array.from(await b.data()), Array.from(values), "clone after the original is disposed");
  const c = tf.clone(b), d = tf.add(c, 1);
  b.dispose();
  assertEquals(Array.from(await c.data()), Array.from(values), "clone of a clone");
  assertClose(await d.data(), Array.from(values, (v) => v + 1), 1e-7, "an op on the clone");
  tf.dispose([c, d]);
  assertEquals([tf.memory().numDataBuffers, tf.memory().numTensors], [buffersBefore, tensorsBefore], "buffers and tensors after disposing all");
  const s = tf.tensor(["x", "y"]), sc = tf.clone(s);
  assertEquals(await sc.data(), ["x", "y"], "string clone (stock kernel)");
  tf.dispose([s, sc]);
});

Deno.test("wasm EbmInterleavePhases2x2 equals stacking the four phases (exact, odd sizes)", async () => {
  await tf.setBackend("wasm");
  assert(tf.getKernel(INTERLEAVE_PHASES_2X2, "wasm") !== undefined, "the wasm kernel is registered");
  for (const shape of [[2, 3, 5, 3], [1, 1, 1, 1], [3, 4, 4, 32], [2, 2, 7, 5]] as [number, number, number, number][]) {
    const size = shape.reduce((a, b) => a * b, 1);
    const phases = [0, 1, 2, 3].map((i) => tf.tensor4d(new Random(20 + i).normalArray(size), shape));
    const got = interleavePhases2x2(phases[0], phases[1], phases[2], phases[3]);
    const [n, u, v, c] = shape;
    // out[n, 2t + a, 2s + b] = p_ab[n, t, s]: stack b inside a on new axes after t and s.
    const want = tf.reshape(tf.stack([tf.stack([phases[0], phases[1]], 3), tf.stack([phases[2], phases[3]], 3)], 2), [n, 2 * u, 2 * v, c]);
    assertEquals([got.shape, Array.from(await got.data())], [want.shape, Array.from(await want.data())], `[${shape}]`);
    tf.dispose([...phases, got, want]);
  }
});

Deno.test("wasm Sum over leading axes equals a float64 row-order sum rounded once (4-lane part and tail)", async () => {
  await tf.setBackend("wasm");
  for (const shape of [[40, 7, 6], [9, 4], [300, 3], [2, 2, 2, 33]]) {
    const values = new Random(11).uniformArray(shape.reduce((a, b) => a * b, 1), -1, 2);
    const channels = shape[shape.length - 1];
    const want = new Float64Array(channels);
    for (let i = 0; i < values.length; i++) want[i % channels] += values[i];
    const x = tf.tensor(values, shape), s = tf.sum(x, shape.slice(0, -1).map((_, i) => i));
    assertEquals(Array.from(await s.data()), Array.from(Float32Array.from(want)), `[${shape}]`);
    tf.dispose([x, s]);
  }
});

Deno.test("wasm EbmSwapLeadingAxes equals transpose [1, 0, …] exactly", async () => {
  await tf.setBackend("wasm");
  assert(tf.getKernel(SWAP_LEADING_AXES, "wasm") !== undefined, "the wasm kernel is registered");
  for (const shape of [[3, 5, 7], [100, 256, 64], [2, 3], [4, 1, 2, 3], [0, 3, 2], [5, 3, 1, 1]]) {
    const x = tf.tensor(new Random(12).normalArray(shape.reduce((a, b) => a * b, 1)), shape);
    const got = tf.engine().runKernel(SWAP_LEADING_AXES, { x }) as tf.Tensor;
    const want = tf.transpose(x, [1, 0, ...shape.slice(2).map((_, i) => i + 2)]);
    assertEquals([got.shape, Array.from(await got.data())], [want.shape, Array.from(await want.data())], `[${shape}]`);
    tf.dispose([x, got, want]);
  }
});

Deno.test("wasm BatchMatMul with transpose flags (rank 2) equals explicit transposes bit for bit and cpu within 1e-5", async () => {
  assert(stockKernel("wasm", "BatchMatMul") !== undefined, "the project's wasm BatchMatMul replaced the stock one");
  const av = new Random(13).normalArray(7 * 5), bv = new Random(14).normalArray(5 * 9);
  const cases: [number[], number[], boolean, boolean][] = [[[7, 5], [5, 9], false, false], [[5, 7], [5, 9], true, false], [[7, 5], [9, 5], false, true], [[5, 7], [9, 5], true, true]];
  for (const [as, bs, tA, tB] of cases) {
    const run = async () => {
      const a = tf.tensor2d(av, as as [number, number]), b = tf.tensor2d(bv, bs as [number, number]);
      const before = tf.memory().numTensors;
      const flagged = tf.matMul(a, b, tA, tB);
      assertEquals(tf.memory().numTensors, before + 1, `transposeA ${tA} transposeB ${tB}: temporaries disposed`);
      const explicit = tf.matMul(tA ? tf.transpose(a) : a, tB ? tf.transpose(b) : b);
      const out = [await flagged.data() as Float32Array, await explicit.data() as Float32Array];
      tf.dispose([a, b, flagged, explicit]);
      return out;
    };
    await tf.setBackend("cpu");
    const [cpu] = await run();
    await tf.setBackend("wasm");
    const [flagged, explicit] = await run();
    assertEquals(Array.from(flagged), Array.from(explicit), `transposeA ${tA} transposeB ${tB}: same bits as explicit transposes`);
    assertClose(flagged, cpu, 1e-5, `transposeA ${tA} transposeB ${tB} vs cpu`);
  }
});
