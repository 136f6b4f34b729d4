/**
 * The IDX format of (Fashion-)MNIST: big-endian magic `0x0000 08 nd` (type 0x08 = unsigned byte,
 * nd dimensions), nd big-endian u32 sizes, then the bytes. Gzip-compressed files are inflated first.
 *
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * const { dims, data } = parseIdx(await Deno.readFile("train-images-idx3-ubyte.gz"), "train-images");
 * // dims = [60000, 28, 28]
 * ```
 * @module
 */
import { gunzipSync } from "node:zlib";

/** Parses (optionally gzipped) IDX bytes of unsigned-byte type. */
export function parseIdx(raw: Uint8Array, source: string): { dims: number[]; data: Uint8Array } {
  let bytes = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(raw));
    } catch (e) {
      throw new Error(`Cannot read IDX file '${source}': the gzip data is corrupt (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`Cannot read IDX file '${source}': bad magic number`);
  if (bytes[2] !== 0x08) throw new Error(`Cannot read IDX file '${source}': expected unsigned-byte data (type 0x08), got 0x${bytes[2].toString(16)}`);
  const nd = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * nd) throw new Error(`Cannot read IDX file '${source}': truncated header`);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * nd;
  if (bytes.length - start !== count) {
    throw new Error(`Cannot read IDX file '${source}': dimensions [${dims}] need ${count} bytes of data, got ${bytes.length - start}`);
  }
  return { dims, data: bytes.subarray(start) };
}
