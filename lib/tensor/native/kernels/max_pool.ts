/**
 * `MaxPool` and `MaxPoolGrad` on oneDNN's pooling primitives. The gradient re-runs the forward
 * pass in training mode to get oneDNN's argmax workspace (tfjs does not keep one between the two
 * kernels), then scatters dy through it.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: "MaxPool", backendName: "native", kernelFunc: makeMaxPool(ctx) });
 * ```
 * @module
 */
import {
  backend_util,
  type KernelFunc,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type MaxPoolGradInputs,
  type MaxPoolInputs,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { ABI } from "../abi.ts";
import { type Dnnl, Plan } from "../dnnl.ts";
import { float32Values, mustFloat32, type NativeContext, type Present, FALL_BACK } from "./context.ts";

/** Pooling geometry in oneDNN terms (NCHW logical dims over NHWC buffers). */
type PoolGeometry = {
  srcDims: number[];
  srcStrides: number[];
  dstDims: number[];
  dstStrides: number[];
  strides: number[];
  kernel: number[];
  padL: number[];
  padR: number[];
};

/**
 * oneDNN checks `(in - k + padL + padR) / stride + 1 == out` with floor division and rejects
 * negative padding for pooling; a window tail that produces no output (padR in (-stride, 0))
 * is the same geometry as padR = 0.
 */
function rightPad(out: number, stride: number, k: number, input: number, padL: number): number {
  return Math.max(0, (out - 1) * stride + k - input - padL);
}

function poolGeometry(info: backend_util.Conv2DInfo): PoolGeometry {
  const { batchSize: n, inChannels: c, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  return {
    srcDims: [n, c, h, w],
    srcStrides: [h * w * c, 1, w * c, c],
    dstDims: [n, c, oh, ow],
    dstStrides: [oh * ow * c, 1, ow * c, c],
    strides: [info.strideHeight, info.strideWidth],
    kernel: [info.filterHeight, info.filterWidth],
    padL: [info.padInfo.top, info.padInfo.left],
    padR: [
      rightPad(oh, info.strideHeight, info.filterHeight, h, info.padInfo.top),
      rightPad(ow, info.strideWidth, info.filterWidth, w, info.padInfo.left),
    ],
  };
}

/** Comparisons done by the pooling: one per window element per output. */
function poolWork(g: PoolGeometry): number {
  return g.dstDims.reduce((a, b) => a * b, 1) * g.kernel[0] * g.kernel[1];
}

function dims(values: number[]): BigInt64Array {
  return new BigInt64Array(values.map(BigInt));
}

function forwardOp(dnnl: Dnnl, g: PoolGeometry, prop: number, srcMd: Uint8Array, dstMd: Uint8Array): Uint8Array {
  const op = new Uint8Array(ABI.sizes.poolingV2Desc);
  dnnl.check(
    dnnl.lib.symbols.dnnl_pooling_v2_forward_desc_init(
      op,
      prop,
      ABI.algKind.poolingMax,
      srcMd,
      dstMd,
      dims(g.strides),
      dims(g.kernel),
      dims([0, 0]),
      dims(g.padL),
      dims(g.padR),
    ),
    `dnnl_pooling_v2_forward_desc_init ${JSON.stringify(g)}`,
  );
  return op;
}

/** Compiles max pooling x -> y; slots: x, y. */
function buildMaxPool(ctx: NativeContext, g: PoolGeometry): Plan {
  const { dnnl } = ctx;
  const xMd = dnnl.stridedDesc(g.srcDims, g.srcStrides);
  const yMd = dnnl.stridedDesc(g.dstDims, g.dstStrides);
  const primitive = dnnl.primitive(forwardOp(dnnl, g, ABI.propKind.forwardInference, xMd, yMd), "MaxPool", { work: poolWork(g) });
  const plan = new Plan(dnnl);
  const x = plan.slotMemory(plan.addSlot(xMd));
  const y = plan.slotMemory(plan.addSlot(yMd));
  plan.addStep(primitive, [[ABI.arg.src, x], [ABI.arg.dst, y]]);
  return plan;
}

/** Compiles (x, dy) -> dx via a training-mode forward for the workspace; slots: x, dy, dx. */
function buildMaxPoolGrad(ctx: NativeContext, g: PoolGeometry): Plan {
  const { dnnl } = ctx;
  const xMd = dnnl.stridedDesc(g.srcDims, g.srcStrides);
  const yMd = dnnl.stridedDesc(g.dstDims, g.dstStrides);
  const work = poolWork(g);
  const forward = dnnl.primitive(forwardOp(dnnl, g, ABI.propKind.forwardTraining, xMd, yMd), "MaxPool (training)", { work });
  const op = new Uint8Array(ABI.sizes.poolingV2Desc);
  dnnl.check(
    dnnl.lib.symbols.dnnl_pooling_v2_backward_desc_init(
      op,
      ABI.algKind.poolingMax,
      xMd,
      yMd,
      dims(g.strides),
      dims(g.kernel),
      dims([0, 0]),
      dims(g.padL),
      dims(g.padR),
    ),
    `dnnl_pooling_v2_backward_desc_init ${JSON.stringify(g)}`,
  );
  const backward = dnnl.primitive(op, "MaxPoolGrad", { hint: forward.pd, work });
  const plan = new Plan(dnnl);
  const x = plan.slotMemory(plan.addSlot(xMd));
  const dy = plan.slotMemory(plan.addSlot(yMd));
  const dx = plan.slotMemory(plan.addSlot(xMd));
  const y = plan.scratch(dnnl.queryMd(forward, ABI.query.dstMd));
  const workspace = plan.scratch(dnnl.queryMd(forward, ABI.query.workspaceMd));
  plan.addStep(forward, [[ABI.arg.src, x], [ABI.arg.dst, y], [ABI.arg.workspace, workspace]]);
  plan.addStep(backward, [[ABI.arg.diffDst, dy], [ABI.arg.workspace, workspace], [ABI.arg.diffSrc, dx]]);
  return plan;
}

function poolInfo(x: TensorInfo, attrs: MaxPoolAttrs | MaxPoolGradAttrs): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/** oneDNN requires padding smaller than the window; other shapes use the cpu kernel. */
function supported(g: PoolGeometry): boolean {
  return g.padR.every((p, i) => p < g.kernel[i]) && g.padL.every((p, i) => p < g.kernel[i]);
}

/** The `MaxPool` kernel on oneDNN. */
export function makeMaxPool(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("MaxPool", (args, backend) => {
    const { x } = args.inputs as unknown as Present<MaxPoolInputs>;
    const attrs = args.attrs as unknown as MaxPoolAttrs;
    if (!float32Values(backend, x) || x.shape.length !== 4) return FALL_BACK;
    const info = poolInfo(x, attrs);
    const g = poolGeometry(info);
    if (!supported(g)) return FALL_BACK;
    const plan = ctx.plan(`MaxPool|${JSON.stringify(g)}`, () => buildMaxPool(ctx, g));
    const y = ctx.output(info.outShape.reduce((p, q) => p * q, 1));
    plan.run([mustFloat32(backend, x, "x"), y]);
    return backend.makeTensorInfo(info.outShape, "float32", y);
  });
}

/** The `MaxPoolGrad` kernel on oneDNN. */
export function makeMaxPoolGrad(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("MaxPoolGrad", (args, backend) => {
    const { dy, input } = args.inputs as unknown as Present<MaxPoolGradInputs>;
    const attrs = args.attrs as unknown as MaxPoolGradAttrs;
    if (!float32Values(backend, input) || !float32Values(backend, dy) || input.shape.length !== 4) return FALL_BACK;
    const info = poolInfo(input, attrs);
    const g = poolGeometry(info);
    if (!supported(g)) return FALL_BACK;
    const plan = ctx.plan(`MaxPoolGrad|${JSON.stringify(g)}`, () => buildMaxPoolGrad(ctx, g));
    const dx = new Float32Array(input.shape.reduce((p, q) => p * q, 1));
    plan.run([mustFloat32(backend, input, "input"), mustFloat32(backend, dy, "dy"), dx]);
    return backend.makeTensorInfo(input.shape, "float32", dx);
  });
}
