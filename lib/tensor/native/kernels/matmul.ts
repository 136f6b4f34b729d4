/**
 * `BatchMatMul` and `_FusedMatMul` (bias + activation post-op) on oneDNN's matmul primitive.
 * Transposes are expressed as strides on tfjs's own buffers; a batch of 1 on either side is
 * broadcast by oneDNN. Other broadcasts use the cpu kernel.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: "BatchMatMul", backendName: "native", kernelFunc: makeBatchMatMul(ctx) });
 * ```
 * @module
 */
import {
  type _FusedMatMulAttrs,
  type _FusedMatMulInputs,
  type BatchMatMulAttrs,
  type BatchMatMulInputs,
  broadcast_util,
  type KernelFunc,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { ABI } from "../abi.ts";
import { Plan } from "../dnnl.ts";
import { eltwisePostOp, float32Values, mustFloat32, type NativeContext, type Present, FALL_BACK } from "./context.ts";

type Post = { alg: number; alpha: number; beta: number } | null;

/** A batched product A·B described in oneDNN terms. */
type MatMulShape = { batchA: number; batchB: number; m: number; k: number; n: number; transposeA: boolean; transposeB: boolean };

const POST_ALGS = {
  relu: ABI.algKind.eltwiseRelu,
  elu: ABI.algKind.eltwiseElu,
  logistic: ABI.algKind.eltwiseLogistic,
  clip: ABI.algKind.eltwiseClip,
};

/** The oneDNN view of a tfjs matMul, its output shape, or null when oneDNN cannot broadcast it. */
function matMulShape(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean) {
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  const outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const supported = batchA === batchB ? util.arraysEqual(outerA, outerB) || outerA.length === 0 || outerB.length === 0 ||
      util.sizeFromShape(outer) === batchA
    : batchA === 1 || batchB === 1;
  const shape: MatMulShape = { batchA, batchB, m, k, n, transposeA, transposeB };
  return { shape: supported ? shape : null, outShape: [...outer, m, n] };
}

/** Compiles A·B (+ bias) (-> post-op); slots: a, b, [bias], out. */
function buildMatMul(ctx: NativeContext, s: MatMulShape, withBias: boolean, post: Post): Plan {
  const { dnnl } = ctx;
  const batch = Math.max(s.batchA, s.batchB);
  const aMd = dnnl.stridedDesc([s.batchA, s.m, s.k], s.transposeA ? [s.m * s.k, 1, s.m] : [s.m * s.k, s.k, 1]);
  const bMd = dnnl.stridedDesc([s.batchB, s.k, s.n], s.transposeB ? [s.k * s.n, 1, s.k] : [s.k * s.n, s.n, 1]);
  const biasMd = withBias ? dnnl.stridedDesc([1, 1, s.n], [s.n, s.n, 1]) : null;
  const outMd = dnnl.denseDesc([batch, s.m, s.n]);
  const op = new Uint8Array(ABI.sizes.matmulDesc);
  dnnl.check(dnnl.lib.symbols.dnnl_matmul_desc_init(op, aMd, bMd, biasMd, outMd), `dnnl_matmul_desc_init ${JSON.stringify(s)}`);
  const primitive = dnnl.primitive(op, "MatMul", { attr: dnnl.eltwiseAttr(post), work: 2 * batch * s.m * s.n * s.k });
  const plan = new Plan(dnnl);
  const aSlot = plan.addSlot(aMd);
  const bSlot = plan.addSlot(bMd);
  const args: Array<[number, Deno.PointerValue]> = [[ABI.arg.src, plan.slotMemory(aSlot)], [ABI.arg.weights, plan.slotMemory(bSlot)]];
  if (biasMd) args.push([ABI.arg.bias, plan.slotMemory(plan.addSlot(biasMd))]);
  args.push([ABI.arg.dst, plan.slotMemory(plan.addSlot(outMd))]);
  plan.addStep(primitive, args);
  return plan;
}

function runMatMul(
  ctx: NativeContext,
  backend: MathBackendCPU,
  a: TensorInfo,
  b: TensorInfo,
  s: MatMulShape,
  outShape: number[],
  bias: Float32Array | null,
  post: Post,
): TensorInfo {
  const plan = ctx.plan(`MatMul|${JSON.stringify([s, bias !== null, post])}`, () => buildMatMul(ctx, s, bias !== null, post));
  const out = ctx.output(Math.max(s.batchA, s.batchB) * s.m * s.n);
  const av = mustFloat32(backend, a, "a");
  const bv = mustFloat32(backend, b, "b");
  plan.run(bias ? [av, bv, bias, out] : [av, bv, out]);
  return backend.makeTensorInfo(outShape, "float32", out);
}

/**
 * `leakyRelu(a·b + bias, alpha)` for 2-D a [m, k], b [k, n], bias [n]: one oneDNN matmul with a
 * bias and an eltwise-relu(alpha) post-op (the project's fused dense layer).
 */
export function runDenseBiasLeakyRelu(ctx: NativeContext, backend: MathBackendCPU, a: TensorInfo, b: TensorInfo, bias: Float32Array, alpha: number): TensorInfo {
  const { shape, outShape } = matMulShape(a, b, false, false);
  if (!shape) throw new Error(`Cannot run a dense layer on [${a.shape}] x [${b.shape}]: unsupported batch shapes`);
  return runMatMul(ctx, backend, a, b, shape, outShape, bias, { alg: POST_ALGS.relu, alpha, beta: 0 });
}

/** The `BatchMatMul` kernel on oneDNN. */
export function makeBatchMatMul(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("BatchMatMul", (args, backend) => {
    const { a, b } = args.inputs as unknown as Present<BatchMatMulInputs>;
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    if (!float32Values(backend, a) || !float32Values(backend, b)) return FALL_BACK;
    const { shape, outShape } = matMulShape(a, b, transposeA, transposeB);
    if (!shape) return FALL_BACK;
    return runMatMul(ctx, backend, a, b, shape, outShape, null, null);
  });
}

/**
 * The `_FusedMatMul` kernel: bias (one value per output column) and activation fused as oneDNN
 * post-ops; prelu and other bias shapes use the cpu kernel.
 */
export function makeFusedMatMul(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("_FusedMatMul", (args, backend) => {
    const { a, b } = args.inputs as unknown as Present<_FusedMatMulInputs>;
    const bias = (args.inputs as unknown as _FusedMatMulInputs).bias;
    const attrs = args.attrs as unknown as _FusedMatMulAttrs;
    if (!float32Values(backend, a) || !float32Values(backend, b)) return FALL_BACK;
    const post = eltwisePostOp(attrs.activation, attrs.leakyreluAlpha, POST_ALGS);
    const { shape, outShape } = matMulShape(a, b, attrs.transposeA, attrs.transposeB);
    const biasValues = bias ? float32Values(backend, bias) : null;
    const biasPerColumn = !bias || (biasValues !== null && shape !== null && biasValues.length === shape.n);
    if (!shape || post === "unsupported" || !biasPerColumn) return FALL_BACK;
    return runMatMul(ctx, backend, a, b, shape, outShape, biasValues, post);
  });
}
