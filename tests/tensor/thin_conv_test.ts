/**
 * The wasm thin-convolution kernels (`lib/tensor/wasm/thin_conv_kernels.ts`) against the cpu backend:
 * the fused conv + bias + leaky-ReLU forward against cpu's composed FusedConv2D, the input
 * gradient against cpu's stock Conv2DBackpropInput, each with and without relaxed-SIMD FMA, for
 * VanillaNet's first layer (RGB and grey), odd sizes, asymmetric padding, kernels larger than the
 * padding allows, output widths that are not a multiple of 32, and several slopes (≤ 1e-5).
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { stockKernel } from "../../lib/tensor/project_kernels.ts";
import { conv2dInputGrad } from "../../lib/tensor/kernels/conv2d_grads.ts";
import { relaxedSimdAvailable, thinConvKernelsFor, WASM_FMA_ENV } from "../../lib/tensor/wasm/thin_conv_module.ts";
import { ensureFusedLayerKernels } from "../../lib/nets/fused_layer.ts";
import { CONV_BIAS_LEAKY_RELU, isThinFilter, THIN_INPUT_GRAD } from "../../lib/tensor/kernels/kernel_names.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals } from "../assert.ts";

await initBackend("cpu");
await initBackend("wasm");

type Shape4 = [number, number, number, number];
type Case = { name: string; x: Shape4; filter: Shape4; pad: [[0, 0], [number, number], [number, number], [0, 0]]; alpha: number };
const p = (t: number, b: number, l: number, r: number): Case["pad"] => [[0, 0], [t, b], [l, r], [0, 0]];
const CASES: Case[] = [
  { name: "vanilla f.0 (3 → 32, 3×3 pad 1)", x: [3, 32, 32, 3], filter: [3, 3, 3, 32], pad: p(1, 1, 1, 1), alpha: 0.05 },
  { name: "grey vanilla f.0 (1 → 32)", x: [2, 32, 32, 1], filter: [3, 3, 1, 32], pad: p(1, 1, 1, 1), alpha: 0.05 },
  { name: "odd 7×5, 1 → 8", x: [3, 7, 5, 1], filter: [3, 3, 1, 8], pad: p(1, 1, 1, 1), alpha: 0.2 },
  { name: "5×3 kernel, 4 → 12, pad 2", x: [2, 6, 9, 4], filter: [5, 3, 4, 12], pad: p(2, 2, 2, 2), alpha: 0.05 },
  { name: "valid, 3 → 36 (a 32 block and a 4 block)", x: [2, 5, 5, 3], filter: [3, 3, 3, 36], pad: p(0, 0, 0, 0), alpha: 0 },
  { name: "2 → 64, slope 1", x: [2, 8, 8, 2], filter: [3, 3, 2, 64], pad: p(1, 1, 1, 1), alpha: 1 },
  { name: "asymmetric padding, 2×2 kernel, 3 → 128", x: [1, 5, 6, 3], filter: [2, 2, 3, 128], pad: p(0, 1, 1, 0), alpha: 0.05 },
  { name: "kernel wider than the image, 3 → 4", x: [2, 2, 3, 3], filter: [4, 5, 3, 4], pad: p(2, 1, 3, 1), alpha: 0.05 },
];

function data(seed: number, shape: number[]): Float32Array {
  return new Random(seed).normalArray(shape.reduce((a, b) => a * b, 1));
}

async function withFma<T>(fma: boolean, fn: () => Promise<T>): Promise<T> {
  Deno.env.set(WASM_FMA_ENV, fma ? "1" : "0");
  try {
    return await fn();
  } finally {
    Deno.env.delete(WASM_FMA_ENV);
  }
}

const FMA_MODES = relaxedSimdAvailable() ? [false, true] : [false];

for (const c of CASES) {
  Deno.test(`thin conv kernels match the cpu backend: ${c.name}`, async () => {
    assert(isThinFilter(c.filter), "the case must take the thin path");
    const xData = data(1, c.x), wData = data(2, c.filter).map((v) => v * 0.3), bData = data(3, [c.filter[3]]);
    const layerAttrs = { strides: 1, pad: c.pad, alpha: c.alpha };
    const forward = async () => {
      ensureFusedLayerKernels();
      const x = tf.tensor4d(xData, c.x), w = tf.tensor4d(wData, c.filter), b = tf.tensor1d(bData);
      const y = tf.engine().runKernel(CONV_BIAS_LEAKY_RELU, { x, filter: w, bias: b }, layerAttrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
      const out = { shape: y.shape, values: await y.data() as Float32Array };
      tf.dispose([x, w, b, y]);
      return out;
    };
    await tf.setBackend("cpu");
    const ref = await forward();
    const dyData = data(4, ref.shape);
    const convAttrs = { strides: [1, 1], pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined, inputShape: c.x };
    const cpuBackend = tf.findBackend("cpu")!;
    const stock = stockKernel("cpu", "Conv2DBackpropInput");
    assert(stock !== undefined, "cpu had no stock Conv2DBackpropInput");
    const dy = tf.tensor4d(dyData, ref.shape), w = tf.tensor4d(wData, c.filter);
    const refDxInfo = stock.kernelFunc({ inputs: { dy, filter: w }, backend: cpuBackend, attrs: convAttrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
    const refDx = cpuBackend.readSync(refDxInfo.dataId) as Float32Array;
    cpuBackend.disposeData(refDxInfo.dataId);
    tf.dispose([dy, w]);

    await tf.setBackend("wasm");
    for (const fma of FMA_MODES) {
      const label = `${c.name}, ${fma ? "fma" : "mul+add"}`;
      const ours = await withFma(fma, forward);
      assertEquals(ours.shape, ref.shape, `${label}: output shape`);
      assertClose(ours.values, ref.values, 1e-5, `${label}: forward`);
      const dx = await withFma(fma, async () => {
        const dyW = tf.tensor4d(dyData, ref.shape), wW = tf.tensor4d(wData, c.filter);
        const profile = await tf.profile(() => conv2dInputGrad(dyW, wW, c.x, { strides: [1, 1], pad: { top: c.pad[1][0], left: c.pad[2][0] } }));
        assert(profile.kernels.some((k) => k.name === THIN_INPUT_GRAD), `${label}: the input gradient did not take the thin kernel`);
        const result = tf.engine().runKernel("Conv2DBackpropInput", { dy: dyW, filter: wW }, convAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
        const values = await result.data() as Float32Array;
        tf.dispose([dyW, wW, result, profile.result as tf.Tensor]);
        return values;
      });
      assertClose(dx, refDx, 1e-5, `${label}: input gradient`);
    }
  });
}

Deno.test("wasm EbmConv2DBiasLeakyRelu leaves strided and wide layers to FusedConv2D (same values as cpu)", async () => {
  const x: Shape4 = [2, 8, 8, 8], f: Shape4 = [4, 4, 8, 16];
  const xData = data(5, x), wData = data(6, f), bData = data(7, [16]);
  const run = async () => {
    ensureFusedLayerKernels();
    const xt = tf.tensor4d(xData, x), wt = tf.tensor4d(wData, f), bt = tf.tensor1d(bData);
    const y = tf.engine().runKernel(CONV_BIAS_LEAKY_RELU, { x: xt, filter: wt, bias: bt }, { strides: 2, pad: p(1, 1, 1, 1), alpha: 0.05 } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const values = await y.data() as Float32Array;
    tf.dispose([xt, wt, bt, y]);
    return values;
  };
  await tf.setBackend("cpu");
  const ref = await run();
  await tf.setBackend("wasm");
  const before = tf.memory().numTensors;
  assertClose(await run(), ref, 1e-5, "stride-2 layer");
  assertEquals(tf.memory().numTensors, before, "live tensors after the fallback");
});

Deno.test("thin conv kernels reject shapes they are not built for, naming the value", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  let message = "";
  try {
    thinConvKernelsFor(memory, 5, 32);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("cin must be 1…4, got 5"), `unexpected error: '${message}'`);
  try {
    thinConvKernelsFor(memory, 3, 30);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("cout must be a multiple of 4") && message.includes("got 30"), `unexpected error: '${message}'`);
  assert(!isThinFilter([3, 3, 8, 32]) && !isThinFilter([3, 3, 3, 2]) && isThinFilter([1, 1, 4, 128]), "isThinFilter bounds");
});
