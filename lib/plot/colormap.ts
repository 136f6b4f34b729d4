/**
 * Colour maps for heatmaps: a 256-entry lookup table built once from Plot's scheme (viridis by
 * default, matplotlib's default for `imshow`), and rendering a value grid straight to an RGB
 * PNG — drawing a 200×200 grid as 40,000 SVG cells would make each panel megabytes of SVG.
 *
 * @example
 * ```ts
 * import { colorLut, gridToPng } from "./colormap.ts";
 * const lut = colorLut("viridis");               // Uint8Array(256 * 3)
 * const png = await gridToPng(new Float64Array([0, 1, 2, 3]), 2, 2, [0, 3], "viridis");
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import sharp from "sharp";

const luts = new Map<string, Uint8Array>();

function parseColor(color: string): [number, number, number] {
  const hex = color.match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const rgb = color.match(/^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`Cannot build the colour map: unexpected colour '${color}' from Plot`);
}

/** 256 RGB triples of Plot's colour `scheme` from low (index 0) to high (index 255). */
export function colorLut(scheme = "viridis"): Uint8Array {
  const cached = luts.get(scheme);
  if (cached) return cached;
  const scale = Plot.scale({ color: { type: "linear", scheme: scheme as Plot.ColorScheme, domain: [0, 255] } });
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(parseColor(String(scale.apply(i))), i * 3);
  luts.set(scheme, lut);
  return lut;
}

/** CSS colour of LUT entry nearest to `t` ∈ [0, 1]. */
export function lutColor(lut: Uint8Array, t: number): string {
  const i = Math.round(Math.min(1, Math.max(0, t)) * 255) * 3;
  return `rgb(${lut[i]},${lut[i + 1]},${lut[i + 2]})`;
}

/**
 * PNG of a row-major `rows × cols` value grid (row 0 becomes the top pixel row), values mapped
 * linearly from `domain` onto the colour map; non-finite values draw as the low end.
 */
export async function gridToPng(values: ArrayLike<number>, rows: number, cols: number, domain: [number, number], scheme = "viridis"): Promise<Uint8Array> {
  if (values.length !== rows * cols) throw new Error(`Cannot draw the heatmap: ${rows}×${cols} needs ${rows * cols} values, got ${values.length}`);
  const lut = colorLut(scheme);
  const [lo, hi] = domain;
  const span = hi > lo ? hi - lo : 1;
  const rgb = new Uint8Array(rows * cols * 3);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - lo) / span)) : 0;
    const k = Math.round(t * 255) * 3;
    rgb[i * 3] = lut[k];
    rgb[i * 3 + 1] = lut[k + 1];
    rgb[i * 3 + 2] = lut[k + 2];
  }
  return new Uint8Array(await sharp(rgb, { raw: { width: cols, height: rows, channels: 3 } }).png().toBuffer());
}

/** Base64 `data:` URI of PNG bytes, for `<image href>` in SVG and `<img src>` in HTML. */
export function pngDataUri(png: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < png.length; i += 0x8000) binary += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(binary)}`;
}
