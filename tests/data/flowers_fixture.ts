/**
 * A miniature Oxford Flowers 102 made by the tests: three small JPEGs (sharp) in
 * `jpg/image_0000k.jpg` inside a tgz, `imagelabels.mat` (uint8-stored, compressed) and
 * `setid.mat` (uint16-stored, small data elements), with their MD5 sums as task config.
 *
 * @example
 * ```ts
 * const f = await makeMiniFlowers();
 * const config = { ...f.md5Config, mirror: server.base };
 * ```
 * @module
 */
import sharp from "sharp";
import { createHash } from "node:crypto";
import { makeTarGz } from "./archive.ts";
import { writeMat } from "./mat_writer.ts";

/** Hex MD5 of bytes. */
export function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** A small RGB JPEG of the given size filled with a pattern (deterministic). */
export async function makeJpeg(width: number, height: number, seed: number, channels: 1 | 3 = 3): Promise<Uint8Array> {
  const raw = new Uint8Array(width * height * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + seed * 97 + ((i * i) % 13) * 7) % 256;
  const buf = await sharp(raw, { raw: { width, height, channels } }).jpeg({ quality: 90 }).toBuffer();
  return new Uint8Array(buf);
}

/** The mini dataset's files by name, the JPEG bytes, and md5 config fields. */
export async function makeMiniFlowers() {
  const jpgs = [await makeJpeg(40, 30, 1), await makeJpeg(23, 41, 2), await makeJpeg(33, 33, 3)];
  const tgz = await makeTarGz([
    { name: "jpg/", type: "directory" },
    ...jpgs.map((data, i) => ({ name: `jpg/image_0000${i + 1}.jpg`, data })),
  ]);
  const labels = writeMat([{ name: "labels", values: [5, 102, 1], storage: "uint8", compress: true }]);
  const setid = writeMat([
    { name: "trnid", values: [2], storage: "uint16", compress: true },
    { name: "valid", values: [3], storage: "uint16", compress: true },
    { name: "tstid", values: [1], storage: "uint16", compress: true },
  ]);
  const files: Record<string, Uint8Array> = { "102flowers.tgz": tgz, "imagelabels.mat": labels, "setid.mat": setid };
  return {
    files,
    jpgs,
    md5Config: { md5_images: md5(tgz), md5_labels: md5(labels), md5_setid: md5(setid) },
  };
}
