/**
 * The paper's image transform, torchvision `Resize(im_sz)` → `CenterCrop(im_sz)` → `ToTensor` →
 * `Normalize(0.5, 0.5)`, on 8-bit HWC pixels. Resize(int) scales the shorter side to `size`
 * (long side `int(size · long / short)`) with PIL bilinear ({@link resizeBilinearPil}); CenterCrop
 * takes `top = int(round((h − size) / 2))` with Python's round-half-to-even.
 *
 * @example
 * ```ts
 * import { resizeShorterCenterCrop, toSignedUnit } from "./transform.ts";
 * const rgb = new Uint8Array(61 * 43 * 3);
 * const square = resizeShorterCenterCrop(rgb, 61, 43, 3, 32); // 32×32×3 uint8
 * const pixels = toSignedUnit(square);                         // Float32Array in [-1, 1]
 * ```
 * @module
 */
import { resizeBilinearPil } from "./pil_resize.ts";

/** Python 3's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Output size of torchvision `Resize(size)` for a `w × h` image: the shorter side becomes `size`. */
export function shorterSideSize(w: number, h: number, size: number): [number, number] {
  const [short, long] = w <= h ? [w, h] : [h, w];
  const newLong = Math.trunc((size * long) / short);
  return w <= h ? [size, newLong] : [newLong, size];
}

/** Crops the centred `size × size` window (torchvision CenterCrop placement). */
export function centerCrop(src: Uint8Array, w: number, h: number, c: number, size: number): Uint8Array {
  if (size > w || size > h) throw new Error(`Cannot center-crop a ${w}×${h} image to ${size}×${size}: the crop is larger than the image`);
  const top = Math.trunc(roundHalfEven((h - size) / 2));
  const left = Math.trunc(roundHalfEven((w - size) / 2));
  const out = new Uint8Array(size * size * c);
  for (let y = 0; y < size; y++) {
    const from = ((top + y) * w + left) * c;
    out.set(src.subarray(from, from + size * c), y * size * c);
  }
  return out;
}

/** torchvision `Resize(size)` then `CenterCrop(size)` on an 8-bit HWC image. */
export function resizeShorterCenterCrop(src: Uint8Array, w: number, h: number, c: number, size: number): Uint8Array {
  const short = Math.min(w, h);
  // torchvision returns the image untouched when the shorter side already has the size.
  if (short === size) return centerCrop(src, w, h, c, size);
  const [ow, oh] = shorterSideSize(w, h, size);
  return centerCrop(resizeBilinearPil(src, w, h, c, ow, oh), ow, oh, c, size);
}

/**
 * `ToTensor` + `Normalize(0.5, 0.5)` in float32 arithmetic as torch does it: `(v/255 − 0.5)/0.5`.
 * Writes into `out` at `offset` when given (to fill a dataset tensor in place).
 */
export function toSignedUnit(src: Uint8Array, out = new Float32Array(src.length), offset = 0): Float32Array {
  for (let i = 0; i < src.length; i++) {
    out[offset + i] = Math.fround(Math.fround(Math.fround(src[i] / 255) - 0.5) / 0.5);
  }
  return out;
}

/**
 * PIL `convert("L")` from RGB: ITU-R 601-2 luma in PIL's 16-bit fixed point, rounded.
 */
export function rgbToGray(src: Uint8Array): Uint8Array {
  const n = src.length / 3;
  if (!Number.isInteger(n)) throw new Error(`Cannot convert to grayscale: ${src.length} bytes is not a whole number of RGB pixels`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = (src[3 * i] * 19595 + src[3 * i + 1] * 38470 + src[3 * i + 2] * 7471 + 0x8000) >>> 16;
  }
  return out;
}
