/**
 * MaxPoolGrad for backends whose own kernel is unusable: tfjs-backend-wasm 4.22's MaxPoolGrad
 * returns wrong values (measured: 35–70 % relative error against cpu). This one routes each
 * output gradient to the first maximum of its window in row-major order (PyTorch's and tfjs-cpu's
 * tie rule), for any window, stride and padding, in one pass over NHWC data.
 *
 * @example
 * ```ts ignore
 * const dx = maxPoolGrad(dyValues, xValues, tf.backend_util.computePool2DInfo([2, 8, 8, 3], 2, 2, 1, "valid"));
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/**
 * ∂L/∂x of max-pooling given the input values `x` and the output gradient `dy` (both NHWC, flat).
 *
 * @example
 * ```ts ignore
 * const dx = maxPoolGrad(dyValues, xValues, tf.backend_util.computePool2DInfo([2, 8, 8, 3], 2, 2, 1, "valid"));
 * ```
 */
export function maxPoolGrad(dy: Float32Array, x: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  if (
    info.effectiveFilterHeight === 2 && info.effectiveFilterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2 &&
    info.padInfo.top === 0 && info.padInfo.left === 0
  ) return maxPool2Grad(dy, x, info);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const fh = info.effectiveFilterHeight, fw = info.effectiveFilterWidth;
  const top = info.padInfo.top, left = info.padInfo.left;
  const dx = new Float32Array(n * h * w * c);
  const best = new Float32Array(c), where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let ky = 0; ky < fh; ky += dh) {
          const iy = oy * sh - top + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < fw; kx += dw) {
            const ix = ox * sw - left + kx;
            if (ix < 0 || ix >= w) continue;
            const base = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              // NaN wins, as in PyTorch; otherwise strictly greater keeps the first maximum.
              if (where[ch] < 0 || v > best[ch] || (Number.isNaN(v) && !Number.isNaN(best[ch]))) {
                best[ch] = v;
                where[ch] = base + ch;
              }
            }
          }
        }
        const out = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) if (where[ch] >= 0) dx[where[ch]] += dy[out + ch];
      }
    }
  }
  return dx;
}

/** The nets' MaxPool2d(2) (2×2 windows, stride 2, no padding): same rule, 4 fixed taps. */
function maxPool2Grad(dy: Float32Array, x: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const dx = new Float32Array(n * h * w * c);
  const row = w * c;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const p00 = ((b * h + 2 * oy) * w + 2 * ox) * c, p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        const out = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let at = p00 + ch, best = x[at];
          // NaN wins, as in PyTorch; otherwise strictly greater keeps the first maximum.
          if (best === best) {
            const v01 = x[p01 + ch], v10 = x[p10 + ch], v11 = x[p11 + ch];
            if (v01 > best || v01 !== v01) (at = p01 + ch), (best = v01);
            if (best === best && (v10 > best || v10 !== v10)) (at = p10 + ch), (best = v10);
            if (best === best && (v11 > best || v11 !== v11)) at = p11 + ch;
          }
          dx[at] += dy[out + ch];
        }
      }
    }
  }
  return dx;
}
