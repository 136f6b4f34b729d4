/**
 * Decodes PNG bytes to raw RGB(A) pixels with sharp, for assertions on rendered figures.
 *
 * @example
 * ```ts
 * import { decodePng } from "./png.ts";
 * const { width, height, channels, data } = await decodePng(pngBytes);
 * ```
 * @module
 */
import sharp from "sharp";

/** Raw pixels of a PNG. */
export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** Decodes `png` (throws when it is not a valid image). */
export async function decodePng(png: Uint8Array): Promise<DecodedPng> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data) };
}

/** Count of pixels whose RGB are all below `threshold` (dark ink on a white figure). */
export function darkPixels(image: DecodedPng, threshold = 100): number {
  let count = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    const p = i * image.channels;
    if (image.data[p] < threshold && image.data[p + 1] < threshold && image.data[p + 2] < threshold) count++;
  }
  return count;
}
