/**
 * Reading zip archives held in memory: the central directory (zip64 included), stored and
 * deflated entries (inflated with the platform's `DecompressionStream("deflate-raw")`), and a
 * CRC-32 check of every entry read. The one owner of the zip format in this project (PyTorch's
 * `.pth` checkpoints, tabular data sets shipped as zips). Writing is not supported.
 *
 * @example
 * ```ts ignore
 * import { openZip } from "./zip.ts";
 * const zip = openZip(await Deno.readFile("data.zip"), "'data.zip'");
 * console.log(zip.names());                  // ["train.csv", "test.csv"]
 * const text = new TextDecoder().decode(await zip.read("train.csv"));
 * ```
 * @module
 */

/** One entry of the central directory. */
export interface ZipEntry {
  /** The entry's path inside the archive ('/'-separated, as stored). */
  name: string;
  /** 0 = stored, 8 = deflate; others are refused when read. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's local header in the archive. */
  headerOffset: number;
}

/** An opened archive: its entries by name and a reader for their bytes. */
export interface ZipArchive {
  /** Entry names in central-directory order (directories included, ending in '/'). */
  names(): string[];
  /** The entry called `name`, or undefined. */
  entry(name: string): ZipEntry | undefined;
  /** The uncompressed bytes of `name` (CRC-checked); a clear error for a missing entry or an unsupported method. */
  read(name: string): Promise<Uint8Array>;
}

const EOCD = 0x06054b50, ZIP64_LOCATOR = 0x07064b50, ZIP64_EOCD = 0x06064b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;

/** True when `bytes` starts like a zip archive (a local file header or an empty archive's end record). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return sig === LOCAL || sig === EOCD;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zip uses it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Inflates raw deflate data (no zlib header) with the platform's DecompressionStream. */
export async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Opens a zip archive from its bytes; `source` names it in errors ("'weights.pth'").
 * Reads the central directory only; entries are decompressed by `read`.
 */
export function openZip(bytes: Uint8Array, source = "zip archive"): ZipArchive {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new Error(`Cannot read ${source} as a zip archive: ${why}`);
  };
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65,535 bytes.
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (dv.getUint32(p, true) === EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail("no end-of-central-directory record (truncated, or not a zip file)");
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== ZIP64_LOCATOR) fail("the end record points to a zip64 record that is missing");
    const z = Number(dv.getBigUint64(loc + 8, true));
    if (z + 56 > bytes.length || dv.getUint32(z, true) !== ZIP64_EOCD) fail("the zip64 end record is missing or damaged");
    count = Number(dv.getBigUint64(z + 32, true));
    cdSize = Number(dv.getBigUint64(z + 40, true));
    cdOffset = Number(dv.getBigUint64(z + 48, true));
  }
  if (cdOffset + cdSize > bytes.length) fail(`the central directory [${cdOffset}, ${cdOffset + cdSize}) lies past the end of the ${bytes.length}-byte file`);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== CENTRAL) fail(`central directory entry ${i} is damaged`);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true), extraLength = dv.getUint16(p + 30, true), commentLength = dv.getUint16(p + 32, true);
    let headerOffset = dv.getUint32(p + 42, true);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    // zip64 extra field (id 1): the 64-bit values of whichever 32-bit fields are saturated, in order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true), len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (size === 0xffffffff) (size = Number(dv.getBigUint64(q, true))), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = Number(dv.getBigUint64(q, true))), (q += 8);
        if (headerOffset === 0xffffffff) headerOffset = Number(dv.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, crc32: crc, headerOffset });
    p = extraEnd + commentLength;
  }

  return {
    names: () => [...entries.keys()],
    entry: (name) => entries.get(name),
    read: async (name) => {
      const entry = entries.get(name);
      if (!entry) throw new Error(`Cannot read ${source}: the archive has no entry '${name}'`);
      const h = entry.headerOffset;
      if (h + 30 > bytes.length || dv.getUint32(h, true) !== LOCAL) throw new Error(`Cannot read ${source}: the local header of '${name}' is damaged`);
      const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
      if (start + entry.compressedSize > bytes.length) throw new Error(`Cannot read ${source}: entry '${name}' runs past the end of the file (truncated?)`);
      const raw = bytes.subarray(start, start + entry.compressedSize);
      let data: Uint8Array;
      if (entry.method === 0) data = raw;
      else if (entry.method === 8) {
        try {
          data = await inflateRaw(raw);
        } catch (err) {
          throw new Error(`Cannot read ${source}: entry '${name}' is not valid deflate data (${(err as Error).message})`);
        }
      } else throw new Error(`Cannot read ${source}: entry '${name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
      if (data.length !== entry.size) throw new Error(`Cannot read ${source}: entry '${name}' holds ${data.length} bytes, the directory says ${entry.size}`);
      const got = crc32(data);
      if (got !== entry.crc32) {
        throw new Error(`Cannot read ${source}: entry '${name}' fails its CRC-32 check (0x${got.toString(16).padStart(8, "0")}, expected 0x${entry.crc32.toString(16).padStart(8, "0")}); the file is damaged`);
      }
      return data;
    },
  };
}
