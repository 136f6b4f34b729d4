/**
 * Image decoding with sharp into the pixels PIL would give after `convert("RGB")` (im_ch 3, as
 * torchvision's ImageFolder loads) or `convert("L")` (im_ch 1). Grayscale is replicated to RGB,
 * alpha is dropped, CMYK uses PIL's formula ({@link cmykToRgbPil}, no colour management) and luma
 * PIL's ITU-R 601-2 fixed point ({@link rgbToGray}); checked against PIL 9.4 in the tests.
 *
 * @example
 * ```ts
 * import { decodeImage } from "./decode.ts";
 * const { data, width, height, channels } = await decodeImage(await Deno.readFile("a.jpg"), 3);
 * ```
 * @module
 */
import sharp from "sharp";
import { rgbToGray } from "./transform.ts";

/** Decoded 8-bit HWC pixels. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** Decodes JPEG/PNG (anything sharp reads) to `channels` = 3 (RGB) or 1 (PIL luma). */
export async function decodeImage(bytes: Uint8Array, channels: 1 | 3, source = "image"): Promise<DecodedImage> {
  let raw: { data: Uint8Array; info: { width: number; height: number; channels: number } };
  let cmyk = false;
  try {
    const image = sharp(bytes, { failOn: "error" });
    const meta = await image.metadata();
    cmyk = meta.space === "cmyk";
    // Keep CMYK as decoded (no ICC conversion) so PIL's own CMYK→RGB formula can be applied.
    const pipeline = cmyk ? image.pipelineColourspace("cmyk").toColourspace("cmyk") : image;
    raw = await pipeline.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`Cannot decode '${source}': ${(e as Error).message}`);
  }
  const { width, height } = raw.info;
  const inChannels = raw.info.channels;
  const pixels = width * height;
  const src = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  let rgb: Uint8Array | null = null;
  let gray: Uint8Array | null = null;
  if (cmyk && inChannels === 4) {
    rgb = cmykToRgbPil(src);
  } else if (inChannels === 1 || inChannels === 2) {
    gray = new Uint8Array(pixels);
    for (let i = 0; i < pixels; i++) gray[i] = src[i * inChannels];
  } else if (inChannels === 3 || inChannels === 4) {
    rgb = new Uint8Array(pixels * 3);
    for (let i = 0; i < pixels; i++) {
      rgb[3 * i] = src[i * inChannels];
      rgb[3 * i + 1] = src[i * inChannels + 1];
      rgb[3 * i + 2] = src[i * inChannels + 2];
    }
  } else {
    throw new Error(`Cannot decode '${source}': unsupported channel count ${inChannels}`);
  }
  if (channels === 1) return { data: gray ?? rgbToGray(rgb!), width, height, channels };
  if (!rgb) {
    rgb = new Uint8Array(pixels * 3);
    for (let i = 0; i < pixels; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray![i];
  }
  return { data: rgb, width, height, channels };
}

/**
 * PIL's `convert("RGB")` from CMYK: `v = nk − round(c·nk/255)` with `nk = 255 − k`, using PIL's
 * integer MULDIV255 (`t = a·b + 128; ((t >> 8) + t) >> 8`).
 */
export function cmykToRgbPil(cmyk: Uint8Array): Uint8Array {
  const n = cmyk.length / 4;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const nk = 255 - cmyk[4 * i + 3];
    for (let c = 0; c < 3; c++) {
      const t = cmyk[4 * i + c] * nk + 128;
      const v = nk - (((t >> 8) + t) >> 8);
      out[3 * i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
