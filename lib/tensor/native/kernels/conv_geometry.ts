/**
 * Maps a tfjs `Conv2DInfo` onto oneDNN's convolution geometry: logical NCHW/OIHW dims with the
 * strides of tfjs's own buffers (NHWC or NCHW activations, HWIO filters), so no layout copies are
 * needed on the activation side.
 *
 * @example
 * ```ts ignore
 * const geometry = convGeometry(convInfo);
 * const xDesc = dnnl.stridedDesc(geometry.srcDims, geometry.srcStrides);
 * ```
 * @module
 */
import type { backend_util } from "@tensorflow/tfjs-core";

/** Everything needed to describe one 2-D convolution to oneDNN. */
export type ConvGeometry = {
  srcDims: number[];
  srcStrides: number[];
  dstDims: number[];
  dstStrides: number[];
  weightsDims: number[];
  weightsStrides: number[];
  strides: number[];
  dilates: number[];
  padL: number[];
  padR: number[];
};

function activationStrides(channelsLast: boolean, c: number, h: number, w: number): number[] {
  return channelsLast ? [h * w * c, 1, w * c, c] : [c * h * w, h * w, w, 1];
}

/**
 * oneDNN requires `(in - kEff + padL + padR) / stride + 1 == out` (floor division); deriving the
 * right padding from the output size keeps that true for every tfjs padding/rounding mode.
 */
function rightPad(out: number, stride: number, kEff: number, input: number, padL: number): number {
  return (out - 1) * stride + kEff - input - padL;
}

/** The oneDNN geometry for a tfjs conv2d described by `info`. */
export function convGeometry(info: backend_util.Conv2DInfo): ConvGeometry {
  const channelsLast = info.dataFormat === "channelsLast";
  const n = info.batchSize;
  const kEffH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const kEffW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const ci = info.inChannels;
  const co = info.outChannels;
  return {
    srcDims: [n, ci, info.inHeight, info.inWidth],
    srcStrides: activationStrides(channelsLast, ci, info.inHeight, info.inWidth),
    dstDims: [n, co, info.outHeight, info.outWidth],
    dstStrides: activationStrides(channelsLast, co, info.outHeight, info.outWidth),
    // tfjs filters are [kh, kw, in, out] whatever the data format.
    weightsDims: [co, ci, info.filterHeight, info.filterWidth],
    weightsStrides: [1, co, info.filterWidth * ci * co, ci * co],
    strides: [info.strideHeight, info.strideWidth],
    dilates: [info.dilationHeight - 1, info.dilationWidth - 1],
    padL: [info.padInfo.top, info.padInfo.left],
    padR: [
      rightPad(info.outHeight, info.strideHeight, kEffH, info.inHeight, info.padInfo.top),
      rightPad(info.outWidth, info.strideWidth, kEffW, info.inWidth, info.padInfo.left),
    ],
  };
}

/** Multiply-adds ×2 of the convolution (the same for its forward and both backward passes). */
export function convFlops(g: ConvGeometry): number {
  const [n, ci] = g.srcDims;
  const [, co, oh, ow] = g.dstDims;
  return 2 * n * oh * ow * co * ci * g.weightsDims[2] * g.weightsDims[3];
}

/** A cache key for a geometry (plus any extra discriminators). */
export function geometryKey(g: ConvGeometry, ...extra: unknown[]): string {
  return JSON.stringify([g.srcDims, g.srcStrides, g.dstDims, g.dstStrides, g.weightsDims, g.strides, g.dilates, g.padL, g.padR, extra]);
}
