/**
 * PIL-exact bilinear resize of 8-bit images (Pillow 9.4 `Image.resize(size, Image.BILINEAR)`),
 * written from the algorithm's description: a separable resampling whose triangle filter is
 * stretched by the downscale factor (antialiasing), with per-pixel coefficients normalised to
 * sum 1 and then turned into 22-bit fixed point; the horizontal pass runs first and rounds to
 * uint8, then the vertical pass. Matching PIL bit for bit matters because the paper's data went
 * through torchvision's `Resize`, which calls exactly this on PIL images.
 *
 * @example
 * ```ts
 * import { resizeBilinearPil } from "./pil_resize.ts";
 * const rgb = new Uint8Array(37 * 23 * 3);                 // HWC, row-major
 * const small = resizeBilinearPil(rgb, 37, 23, 3, 16, 10); // 16×10×3
 * ```
 * @module
 */

/** Bits of fraction in PIL's 8-bit coefficients: 32 − 8 − 2 leaves room for sums without overflow. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Per-output-pixel input window (`start`, `count`) and fixed-point weights (`ksize` per pixel). */
interface Coefficients {
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/** Coefficients for resampling `inSize` samples to `outSize` (bilinear support 1, antialiased). */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = 1 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const real = new Float64Array(ksize);
  const inverse = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; clamping afterwards keeps that behaviour.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = triangle((x + xmin - center + 0.5) * inverse);
      real[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? real[x] / sum : real[x];
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

function clip8(sum: number): number {
  // PIL shifts arithmetically (floor) and clips to [0, 255].
  const v = Math.floor(sum / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resampleHorizontal(src: Uint8Array, w: number, h: number, c: number, outW: number): Uint8Array {
  const k = coefficients(w, outW);
  const out = new Uint8Array(outW * h * c);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = k.start[xx], n = k.count[xx], base = xx * k.ksize;
      for (let ch = 0; ch < c; ch++) {
        let sum = HALF;
        for (let x = 0; x < n; x++) sum += src[row + (xmin + x) * c + ch] * k.weights[base + x];
        out[(y * outW + xx) * c + ch] = clip8(sum);
      }
    }
  }
  return out;
}

function resampleVertical(src: Uint8Array, w: number, h: number, c: number, outH: number): Uint8Array {
  const k = coefficients(h, outH);
  const out = new Uint8Array(w * outH * c);
  const stride = w * c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = k.start[yy], n = k.count[yy], base = yy * k.ksize;
    for (let i = 0; i < stride; i++) {
      let sum = HALF;
      for (let y = 0; y < n; y++) sum += src[(ymin + y) * stride + i] * k.weights[base + y];
      out[yy * stride + i] = clip8(sum);
    }
  }
  return out;
}

/**
 * Resizes an 8-bit HWC image (`c` interleaved channels) to `outW × outH` exactly as Pillow 9.4's
 * `Image.resize((outW, outH), Image.BILINEAR)` does for modes "L" and "RGB".
 */
export function resizeBilinearPil(src: Uint8Array, w: number, h: number, c: number, outW: number, outH: number): Uint8Array {
  for (const [field, v] of [["w", w], ["h", h], ["c", c], ["outW", outW], ["outH", outH]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`Cannot resize: expected '${field}' to be a positive whole number, got ${v}`);
  }
  if (src.length !== w * h * c) {
    throw new Error(`Cannot resize: a ${w}×${h}×${c} image needs ${w * h * c} bytes, got ${src.length}`);
  }
  if (outW === w && outH === h) return src.slice();
  // PIL skips a pass whose size does not change; an unchanged axis would be an identity anyway.
  const horizontal = outW === w ? src : resampleHorizontal(src, w, h, c, outW);
  return outH === h ? horizontal : resampleVertical(horizontal, outW, h, c, outH);
}
