/**
 * `Conv2DBackpropInput` (the input gradient / transposed convolution) and
 * `Conv2DBackpropFilter` (the filter gradient) on oneDNN's backward-data and backward-weights
 * convolution primitives. tfjs's conv2d gradient calls these kernels by name, so autodiff through
 * `tf.conv2d` on the native backend runs on oneDNN.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: "Conv2DBackpropInput", backendName: "native", kernelFunc: makeConv2DBackpropInput(ctx) });
 * ```
 * @module
 */
import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type KernelFunc,
} from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { ABI } from "../abi.ts";
import { type Dnnl, type Plan, singlePrimitivePlan } from "../dnnl.ts";
import { float32Values, mustFloat32, type NativeContext, type Present, FALL_BACK } from "./context.ts";
import { convFlops, type ConvGeometry, convGeometry, geometryKey } from "./conv_geometry.ts";
import { thinInputGrad } from "./thin_conv.ts";

function dims(values: number[]): BigInt64Array {
  return new BigInt64Array(values.map(BigInt));
}

/** The forward primitive descriptor oneDNN needs as a hint for either backward pass. */
function forwardHint(dnnl: Dnnl, g: ConvGeometry, xMd: Uint8Array, yMd: Uint8Array) {
  const op = new Uint8Array(ABI.sizes.convolutionDesc);
  dnnl.check(
    dnnl.lib.symbols.dnnl_dilated_convolution_forward_desc_init(
      op,
      ABI.propKind.forwardTraining,
      ABI.algKind.convolutionDirect,
      xMd,
      dnnl.anyDesc(g.weightsDims),
      null,
      yMd,
      dims(g.strides),
      dims(g.dilates),
      dims(g.padL),
      dims(g.padR),
    ),
    `dnnl_dilated_convolution_forward_desc_init (hint) ${geometryKey(g)}`,
  );
  return dnnl.primitive(op, "Conv2D (backward hint)");
}

/** Compiles dy (*)^T w -> dx; slots: dy, w, dx. */
function buildBackpropInput(ctx: NativeContext, g: ConvGeometry): Plan {
  const { dnnl } = ctx;
  const dxMd = dnnl.stridedDesc(g.srcDims, g.srcStrides);
  const wMd = dnnl.stridedDesc(g.weightsDims, g.weightsStrides);
  const dyMd = dnnl.stridedDesc(g.dstDims, g.dstStrides);
  const hint = forwardHint(dnnl, g, dxMd, dyMd);
  const op = new Uint8Array(ABI.sizes.convolutionDesc);
  dnnl.check(
    dnnl.lib.symbols.dnnl_dilated_convolution_backward_data_desc_init(
      op,
      ABI.algKind.convolutionDirect,
      dxMd,
      dnnl.anyDesc(g.weightsDims),
      dyMd,
      dims(g.strides),
      dims(g.dilates),
      dims(g.padL),
      dims(g.padR),
    ),
    `dnnl_dilated_convolution_backward_data_desc_init ${geometryKey(g)}`,
  );
  const primitive = dnnl.primitive(op, "Conv2DBackpropInput", { hint: hint.pd, work: convFlops(g) });
  return singlePrimitivePlan(dnnl, primitive, [
    { arg: ABI.arg.diffDst, md: dyMd, query: ABI.query.diffDstMd, direction: "in" },
    { arg: ABI.arg.weights, md: wMd, query: ABI.query.weightsMd, direction: "in" },
    { arg: ABI.arg.diffSrc, md: dxMd, query: ABI.query.diffSrcMd, direction: "out" },
  ]);
}

/**
 * Compiles x, dy -> dw; slots: x, dy, dw. With `anyActivations`, oneDNN also picks the layouts of
 * x and dy (reordered in from NHWC): its NHWC backward-weights kernel is slow when there are few
 * input channels (an image's 1 or 3), where a blocked layout is several times faster.
 */
function buildBackpropFilter(ctx: NativeContext, g: ConvGeometry, anyActivations: boolean): Plan {
  const { dnnl } = ctx;
  const xMd = dnnl.stridedDesc(g.srcDims, g.srcStrides);
  const dwMd = dnnl.stridedDesc(g.weightsDims, g.weightsStrides);
  const dyMd = dnnl.stridedDesc(g.dstDims, g.dstStrides);
  const xOp = anyActivations ? dnnl.anyDesc(g.srcDims) : xMd;
  const dyOp = anyActivations ? dnnl.anyDesc(g.dstDims) : dyMd;
  const hint = forwardHint(dnnl, g, xOp, dyOp);
  const op = new Uint8Array(ABI.sizes.convolutionDesc);
  dnnl.check(
    dnnl.lib.symbols.dnnl_dilated_convolution_backward_weights_desc_init(
      op,
      ABI.algKind.convolutionDirect,
      xOp,
      dnnl.anyDesc(g.weightsDims),
      null,
      dyOp,
      dims(g.strides),
      dims(g.dilates),
      dims(g.padL),
      dims(g.padR),
    ),
    `dnnl_dilated_convolution_backward_weights_desc_init ${geometryKey(g)}`,
  );
  const primitive = dnnl.primitive(op, "Conv2DBackpropFilter", { hint: hint.pd, work: convFlops(g) });
  return singlePrimitivePlan(dnnl, primitive, [
    { arg: ABI.arg.src, md: xMd, query: ABI.query.srcMd, direction: "in" },
    { arg: ABI.arg.diffDst, md: dyMd, query: ABI.query.diffDstMd, direction: "in" },
    { arg: ABI.arg.diffWeights, md: dwMd, query: ABI.query.diffWeightsMd, direction: "out" },
  ]);
}

/**
 * Below this many input channels (an image layer) the filter gradient has two candidate plans:
 * oneDNN's NHWC kernel is slow there (measured 3.7 ms vs 0.38 ms with blocked layouts for
 * 3 → 32 channels at 32×32, batch 32), but blocked layouts are slower when the output channels
 * do not fill a 16-wide block (32 ms vs 4.9 ms for 3 → 8). The first call times both.
 */
const FEW_INPUT_CHANNELS = 8;

/** Runs each candidate plan three times on the call's own buffers and returns the fastest. */
function fastestPlan(candidates: Plan[], buffers: Float32Array[]): Plan {
  let best = candidates[0], bestMs = Infinity;
  for (const plan of candidates) {
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      plan.run(buffers);
      const ms = performance.now() - start;
      if (ms < bestMs) [best, bestMs] = [plan, ms];
    }
  }
  return best;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The `Conv2DBackpropInput` kernel on oneDNN (backward data). */
export function makeConv2DBackpropInput(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Conv2DBackpropInput", (args, backend) => {
    const { dy, filter } = args.inputs as unknown as Present<Conv2DBackpropInputInputs>;
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (!float32Values(backend, dy) || !float32Values(backend, filter)) return FALL_BACK;
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const dx = ctx.output(size(info.inShape));
    // Thin stride-1 layers (VanillaNet's first): the project's C kernel.
    if (thinInputGrad(info, mustFloat32(backend, dy, "dy"), mustFloat32(backend, filter, "filter"), dx)) return backend.makeTensorInfo(info.inShape, "float32", dx);
    const g = convGeometry(info);
    const plan = ctx.plan(`Conv2DBackpropInput|${geometryKey(g)}`, () => buildBackpropInput(ctx, g));
    // The filter's dataId names its (immutable) values: its reorder is reused while it is unchanged.
    plan.run([mustFloat32(backend, dy, "dy"), mustFloat32(backend, filter, "filter"), dx], [undefined, filter.dataId]);
    return backend.makeTensorInfo(info.inShape, "float32", dx);
  });
}

/** The `Conv2DBackpropFilter` kernel on oneDNN (backward weights). */
export function makeConv2DBackpropFilter(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Conv2DBackpropFilter", (args, backend) => {
    const { x, dy } = args.inputs as unknown as Present<Conv2DBackpropFilterInputs>;
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (!float32Values(backend, x) || !float32Values(backend, dy)) return FALL_BACK;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const g = convGeometry(info);
    const dw = ctx.output(size(info.filterShape));
    const buffers = [mustFloat32(backend, x, "x"), mustFloat32(backend, dy, "dy"), dw];
    const plan = ctx.plan(`Conv2DBackpropFilter|${geometryKey(g)}`, () => {
      const nhwc = buildBackpropFilter(ctx, g, false);
      return info.inChannels < FEW_INPUT_CHANNELS ? fastestPlan([nhwc, buildBackpropFilter(ctx, g, true)], buffers) : nhwc;
    });
    plan.run(buffers);
    return backend.makeTensorInfo(info.filterShape, "float32", dw);
  });
}
