/**
 * The project's conv-gradient kernels (registered for wasm and cpu) against the cpu backend's own
 * kernels, for every layer shape the nets use plus odd sizes, strides and paddings.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { stockKernel } from "../../lib/tensor/project_kernels.ts";
import { clearConvGradCache } from "../../lib/tensor/kernels/conv2d_grads.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose } from "../assert.ts";

await initBackend("cpu");
await initBackend("wasm");

type Case = { name: string; x: [number, number, number, number]; k: number; cout: number; stride: number; pad: number | "same" | "valid" };
const CASES: Case[] = [
  { name: "toy 1x1", x: [5, 1, 1, 2], k: 1, cout: 32, stride: 1, pad: 0 },
  { name: "vanilla f.0 3x3 s1 p1", x: [2, 32, 32, 3], k: 3, cout: 8, stride: 1, pad: 1 },
  { name: "vanilla f.2 4x4 s2 p1", x: [2, 32, 32, 8], k: 4, cout: 16, stride: 2, pad: 1 },
  { name: "vanilla f.4 4x4 s2 p1", x: [2, 16, 16, 16], k: 4, cout: 32, stride: 2, pad: 1 },
  { name: "vanilla f.6 4x4 s2 p1", x: [2, 8, 8, 32], k: 4, cout: 64, stride: 2, pad: 1 },
  { name: "vanilla f.8 4x4 s1 p0", x: [2, 4, 4, 64], k: 4, cout: 1, stride: 1, pad: 0 },
  { name: "nonlocal 3x3 at 16", x: [2, 16, 16, 8], k: 3, cout: 16, stride: 1, pad: 1 },
  { name: "nonlocal 1x1 theta", x: [2, 16, 16, 8], k: 1, cout: 4, stride: 1, pad: 0 },
  { name: "odd 4x4 s2 p1 on 7x9", x: [3, 7, 9, 3], k: 4, cout: 5, stride: 2, pad: 1 },
  { name: "odd 3x3 s1 p1 on 5x6", x: [1, 5, 6, 3], k: 3, cout: 2, stride: 1, pad: 1 },
  { name: "odd 3x3 s2 p0 on 9x8", x: [2, 9, 8, 2], k: 3, cout: 3, stride: 2, pad: 0 },
  { name: "odd 5x5 s3 same on 11x10", x: [2, 11, 10, 3], k: 5, cout: 4, stride: 3, pad: "same" },
  { name: "odd 2x2 s2 valid on 5x5", x: [2, 5, 5, 3], k: 2, cout: 3, stride: 2, pad: "valid" },
];

function data(seed: number, shape: number[]): Float32Array {
  return new Random(seed).normalArray(shape.reduce((a, b) => a * b, 1));
}

/** Runs the cpu backend's replaced kernel directly on cpu tensors. */
function stockCpu(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): Float32Array {
  const k = stockKernel("cpu", kernelName);
  assert(k !== undefined, `cpu had no stock ${kernelName}`);
  const backend = tf.findBackend("cpu")!;
  const out = k.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const values = backend.readSync(out.dataId) as Float32Array;
  backend.disposeData(out.dataId);
  return values;
}

for (const c of CASES) {
  Deno.test(`conv2d gradients match the cpu backend: ${c.name}`, async () => {
    const wShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.cout];
    const xData = data(1, c.x), wData = data(2, wShape);
    // Reference on the stock cpu kernels.
    await tf.setBackend("cpu");
    const x = tf.tensor4d(xData, c.x), w = tf.tensor4d(wData, wShape);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dyData = data(3, y.shape);
    const dy = tf.tensor4d(dyData, y.shape as [number, number, number, number]);
    const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined };
    const refDw = stockCpu("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: wShape });
    const refDx = stockCpu("Conv2DBackpropInput", { dy, filter: w }, { ...attrs, inputShape: c.x });
    tf.dispose([x, w, y, dy]);
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const xb = tf.tensor4d(xData, c.x), wb = tf.tensor4d(wData, wShape);
      const dyb = tf.tensor4d(dyData, y.shape as [number, number, number, number]);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))([xb, wb], dyb);
      assertClose(await dw.data(), refDw, 1e-5, `${backend} ${c.name} filter gradient`);
      assertClose(await dx.data(), refDx, 1e-5, `${backend} ${c.name} input gradient`);
      tf.dispose([xb, wb, dyb, dx, dw]);
      clearConvGradCache();
      assert(tf.memory().numTensors === before, `${backend} ${c.name}: leaked ${tf.memory().numTensors - before} tensors`);
    }
  });
}

Deno.test("input gradients follow a filter Variable after assign (cached phase filters are refreshed)", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(data(1, [2, 8, 8, 3]), [2, 8, 8, 3]);
  const w = tf.variable(tf.tensor4d(data(2, [4, 4, 3, 5]), [4, 4, 3, 5]));
  const gradX = () => tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w, 2, 1))))(x);
  const first = await gradX().data();
  w.assign(tf.tensor4d(data(3, [4, 4, 3, 5]), [4, 4, 3, 5]));
  const second = await gradX().data();
  await tf.setBackend("cpu");
  const ref = await tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, tf.tensor4d(data(3, [4, 4, 3, 5]), [4, 4, 3, 5]), 2, 1))))(x).data();
  assert(first.some((v, i) => v !== second[i]), "gradient did not change after assign");
  assertClose(second, ref, 1e-5, "gradient after assign");
  w.dispose();
  clearConvGradCache();
});
