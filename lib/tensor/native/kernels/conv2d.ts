/**
 * `Conv2D` and `FusedConv2D` (bias + activation as a oneDNN post-op) on oneDNN. Activations stay
 * in tfjs's NHWC/NCHW buffers; HWIO filters are reordered into oneDNN's preferred blocked layout
 * inside the cached plan.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: "Conv2D", backendName: "native", kernelFunc: makeConv2D(ctx) });
 * ```
 * @module
 */
import {
  backend_util,
  type Conv2DAttrs,
  type Conv2DInputs,
  type FusedConv2DAttrs,
  type FusedConv2DInputs,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { ABI } from "../abi.ts";
import { type Plan, singlePrimitivePlan } from "../dnnl.ts";
import { eltwisePostOp, float32Values, mustFloat32, type NativeContext, type Present, FALL_BACK } from "./context.ts";
import { convFlops, convGeometry, geometryKey } from "./conv_geometry.ts";

/** An eltwise post-op (oneDNN algorithm, alpha, beta), or none. */
export type Post = { alg: number; alpha: number; beta: number } | null;

const POST_ALGS = {
  relu: ABI.algKind.eltwiseRelu,
  elu: ABI.algKind.eltwiseElu,
  logistic: ABI.algKind.eltwiseLogistic,
  clip: ABI.algKind.eltwiseClip,
};

/** Compiles x (*) w (+ bias) (-> post-op) -> y for one geometry; slots: x, w, [bias], y. */
function buildForward(ctx: NativeContext, info: backend_util.Conv2DInfo, withBias: boolean, post: Post): Plan {
  const { dnnl } = ctx;
  const g = convGeometry(info);
  const xMd = dnnl.stridedDesc(g.srcDims, g.srcStrides);
  const wMd = dnnl.stridedDesc(g.weightsDims, g.weightsStrides);
  const yMd = dnnl.stridedDesc(g.dstDims, g.dstStrides);
  const bMd = withBias ? dnnl.denseDesc([info.outChannels]) : null;
  const op = new Uint8Array(ABI.sizes.convolutionDesc);
  dnnl.check(
    dnnl.lib.symbols.dnnl_dilated_convolution_forward_desc_init(
      op,
      ABI.propKind.forwardTraining,
      ABI.algKind.convolutionDirect,
      xMd,
      dnnl.anyDesc(g.weightsDims),
      bMd,
      yMd,
      new BigInt64Array(g.strides.map(BigInt)),
      new BigInt64Array(g.dilates.map(BigInt)),
      new BigInt64Array(g.padL.map(BigInt)),
      new BigInt64Array(g.padR.map(BigInt)),
    ),
    `dnnl_dilated_convolution_forward_desc_init for Conv2D ${geometryKey(g)}`,
  );
  const primitive = dnnl.primitive(op, "Conv2D", { attr: dnnl.eltwiseAttr(post), work: convFlops(g) });
  return singlePrimitivePlan(dnnl, primitive, [
    { arg: ABI.arg.src, md: xMd, query: ABI.query.srcMd, direction: "in" },
    { arg: ABI.arg.weights, md: wMd, query: ABI.query.weightsMd, direction: "in" },
    ...(bMd ? [{ arg: ABI.arg.bias, md: bMd, query: ABI.query.weightsMd, index: 1, direction: "in" as const }] : []),
    { arg: ABI.arg.dst, md: yMd, query: ABI.query.dstMd, direction: "out" },
  ]);
}

function convInfoOf(x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/**
 * Runs x (*) filter (+ bias) (-> post-op) on oneDNN through the cached plan for its geometry and
 * returns the output tensor info; shared by Conv2D, FusedConv2D and the project's fused layer.
 */
export function runForward(
  ctx: NativeContext,
  backend: MathBackendCPU,
  x: TensorInfo,
  filter: TensorInfo,
  bias: Float32Array | null,
  attrs: Conv2DAttrs,
  post: Post,
): TensorInfo {
  const info = convInfoOf(x, filter, attrs);
  const key = `Conv2D|${geometryKey(convGeometry(info), bias !== null, post)}`;
  const plan = ctx.plan(key, () => buildForward(ctx, info, bias !== null, post));
  const out = ctx.output(info.outShape.reduce((a, b) => a * b, 1));
  const xs = mustFloat32(backend, x, "x");
  const ws = mustFloat32(backend, filter, "filter");
  // The filter's dataId names its (immutable) values: its reorder is reused while it is unchanged.
  plan.run(bias ? [xs, ws, bias, out] : [xs, ws, out], [undefined, filter.dataId]);
  return backend.makeTensorInfo(info.outShape, "float32", out);
}

/** The `Conv2D` kernel on oneDNN. */
export function makeConv2D(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Conv2D", (args, backend) => {
    const { x, filter } = args.inputs as unknown as Present<Conv2DInputs>;
    if (!float32Values(backend, x) || !float32Values(backend, filter)) return FALL_BACK;
    return runForward(ctx, backend, x, filter, null, args.attrs as unknown as Conv2DAttrs, null);
  });
}

/**
 * The `FusedConv2D` kernel: bias and activation fused as oneDNN post-ops when the bias is one
 * value per output channel; other cases (prelu, broadcast biases) use the cpu kernel.
 */
export function makeFusedConv2D(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("FusedConv2D", (args, backend) => {
    const { x, filter } = args.inputs as unknown as Present<FusedConv2DInputs>;
    const bias = (args.inputs as unknown as FusedConv2DInputs).bias;
    const attrs = args.attrs as unknown as FusedConv2DAttrs;
    const post = eltwisePostOp(attrs.activation, attrs.leakyreluAlpha, POST_ALGS);
    const outChannels = filter.shape[3];
    const biasValues = bias ? float32Values(backend, bias) : null;
    const biasPerChannel = !bias ||
      (biasValues !== null && biasValues.length === outChannels && bias.shape[bias.shape.length - 1] === outChannels &&
        (attrs.dataFormat !== "NCHW" || bias.shape.length === 1));
    if (post === "unsupported" || !biasPerChannel || !float32Values(backend, x) || !float32Values(backend, filter)) {
      return FALL_BACK;
    }
    return runForward(ctx, backend, x, filter, biasValues, attrs, post);
  });
}
