/**
 * Every kernel the native backend replaces matches the cpu backend within 1e-5 (max abs
 * difference over max abs reference) on all layer shapes of ToyNet, VanillaNet and NonlocalNet,
 * plus odd shapes.
 */
import { assert, assertClose, assertEquals } from "../assert.ts";
import { BATCH, CONV_CASES, type ConvCase, MATMUL_CASES, POOL_CASES, type PoolCase } from "./layer_shapes.ts";
import { ensureNative, runOnBoth } from "./parity.ts";

const TOLERANCE = 1e-5;

await ensureNative();

function outShape(c: ConvCase): number[] {
  // Derived by running the cpu Conv2D would cost time; compute it the way tfjs does for the
  // shapes in the table (explicit / same / valid padding, optional dilation).
  const nchw = c.dataFormat === "NCHW";
  const [n, h, w] = nchw ? [c.x[0], c.x[2], c.x[3], c.x[1]] : c.x;
  const [kh, kw, , co] = c.filter;
  const [sh, sw] = typeof c.strides === "number" ? [c.strides, c.strides] : c.strides;
  const d = c.dilations ?? 1;
  const ekh = (kh - 1) * d + 1, ekw = (kw - 1) * d + 1;
  const dim = (size: number, k: number, s: number) =>
    c.pad === "same" ? Math.ceil(size / s) : c.pad === "valid" ? Math.ceil((size - k + 1) / s) : Math.floor((size + 2 * c.pad - k) / s) + 1;
  const oh = dim(h, ekh, sh), ow = dim(w, ekw, sw);
  return nchw ? [n, co, oh, ow] : [n, oh, ow, co];
}

function convAttrs(c: ConvCase) {
  return { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat ?? "NHWC", dilations: c.dilations ?? 1 };
}

CONV_CASES.forEach((c, i) => {
  Deno.test(`native Conv2D matches cpu: ${c.name}`, () => {
    const { native, cpu, fallbacks } = runOnBoth("Conv2D", { x: c.x, filter: c.filter }, convAttrs(c), 100 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });

  Deno.test(`native FusedConv2D (bias + leakyrelu 0.05) matches cpu: ${c.name}`, () => {
    const attrs = { ...convAttrs(c), activation: "leakyrelu", leakyreluAlpha: 0.05 };
    const { native, cpu, fallbacks } = runOnBoth("FusedConv2D", { x: c.x, filter: c.filter, bias: [c.filter[3]] }, attrs, 200 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });

  if (c.dilations && c.dilations > 1) return; // tfjs's conv2d gradients only exist for dilation 1

  Deno.test(`native Conv2DBackpropInput matches cpu: ${c.name}`, () => {
    const attrs = { ...convAttrs(c), inputShape: c.x };
    const { native, cpu, fallbacks } = runOnBoth("Conv2DBackpropInput", { dy: outShape(c), filter: c.filter }, attrs, 300 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });

  Deno.test(`native Conv2DBackpropFilter matches cpu: ${c.name}`, () => {
    const attrs = { ...convAttrs(c), filterShape: c.filter };
    const { native, cpu, fallbacks } = runOnBoth("Conv2DBackpropFilter", { x: c.x, dy: outShape(c) }, attrs, 400 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });
});

for (const activation of ["linear", "relu", "relu6", "elu", "sigmoid"]) {
  Deno.test(`native FusedConv2D activation '${activation}' matches cpu`, () => {
    const attrs = { strides: 1, pad: "same", dataFormat: "NHWC", dilations: 1, activation };
    const { native, cpu, fallbacks } = runOnBoth("FusedConv2D", { x: [2, 6, 5, 3], filter: [3, 3, 3, 4], bias: [4] }, attrs, 7);
    assertClose(native, cpu, TOLERANCE, activation);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });
}

Deno.test("native FusedConv2D with prelu weights (cpu fallback path) matches cpu", () => {
  const attrs = { strides: 1, pad: "same", dataFormat: "NHWC", dilations: 1, activation: "prelu" };
  const inputs = { x: [2, 6, 5, 3], filter: [3, 3, 3, 4], bias: [4], preluActivationWeights: [4] };
  const { native, cpu, fallbacks } = runOnBoth("FusedConv2D", inputs, attrs, 8);
  assertClose(native, cpu, TOLERANCE, "prelu");
  assert(fallbacks > 0, "expected the cpu fallback path");
});

MATMUL_CASES.forEach((c, i) => {
  Deno.test(`native BatchMatMul matches cpu: ${c.name}`, () => {
    const attrs = { transposeA: c.transposeA, transposeB: c.transposeB };
    const { native, cpu, fallbacks } = runOnBoth("BatchMatMul", { a: c.a, b: c.b }, attrs, 500 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });
});

for (const activation of ["linear", "relu", "leakyrelu"]) {
  Deno.test(`native _FusedMatMul (bias + ${activation}) matches cpu: FC1 2048->256`, () => {
    const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.05 };
    const { native, cpu, fallbacks } = runOnBoth("_FusedMatMul", { a: [BATCH, 2048], b: [2048, 256], bias: [256] }, attrs, 600);
    assertClose(native, cpu, TOLERANCE, activation);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });
}

// Saturating activations are checked on a short inner dimension: on FC1 the pre-activations
// reach ±100, where summation-order differences (~1e-4 absolute) are not what is under test.
for (const activation of ["elu", "sigmoid", "relu6"]) {
  Deno.test(`native _FusedMatMul (bias + ${activation}) matches cpu: 16->8`, () => {
    const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.05 };
    const { native, cpu, fallbacks } = runOnBoth("_FusedMatMul", { a: [5, 16], b: [16, 8], bias: [8] }, attrs, 601);
    assertClose(native, cpu, TOLERANCE, activation);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });
}

Deno.test("native _FusedMatMul with a non-per-column bias (cpu fallback path) matches cpu", () => {
  const attrs = { transposeA: false, transposeB: true, activation: "relu" };
  const { native, cpu, fallbacks } = runOnBoth("_FusedMatMul", { a: [5, 16], b: [8, 16], bias: [5, 8] }, attrs, 602);
  assertClose(native, cpu, TOLERANCE, "bias [5, 8]");
  assert(fallbacks > 0, "expected the cpu fallback path");
});

/** MaxPoolGrad's inputs: dy (pooled shape), the input, and the (unused by both) pooled output. */
function poolGradInputs(c: PoolCase): Record<string, number[]> {
  const [n, h, w, ch] = c.x;
  const dim = (size: number) =>
    c.pad === "same" ? Math.ceil(size / c.strides) : c.pad === "valid" ? Math.ceil((size - c.filterSize + 1) / c.strides)
    : Math.floor((size + 2 * c.pad - c.filterSize) / c.strides) + 1;
  const pooled = [n, dim(h), dim(w), ch];
  return { dy: pooled, input: c.x, output: pooled };
}

POOL_CASES.forEach((c, i) => {
  const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
  Deno.test(`native MaxPool matches cpu: ${c.name}`, () => {
    const { native, cpu, fallbacks } = runOnBoth("MaxPool", { x: c.x }, attrs, 700 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });

  Deno.test(`native MaxPoolGrad matches cpu: ${c.name}`, () => {
    const { native, cpu, fallbacks } = runOnBoth("MaxPoolGrad", poolGradInputs(c), attrs, 800 + i);
    assertClose(native, cpu, TOLERANCE, c.name);
    assertEquals(fallbacks, 0, "oneDNN must compute this case, not the cpu fallback");
  });
});
