/**
 * A reader for MATLAB level-5 MAT-files (numeric arrays only), enough for the Flowers 102
 * `imagelabels.mat` / `setid.mat`. Layout: a 128-byte header (text, subsystem offset, version,
 * endian indicator "IM"/"MI"), then tagged data elements. A tag is (type u32, bytes u32), or, when
 * the upper 16 bits of the first word are non-zero, the "small data element" packing (bytes in the
 * upper half, type in the lower half, ≤ 4 bytes of data in the second word). Elements are padded to
 * 8 bytes. `miCOMPRESSED` holds a zlib stream of further elements; `miMATRIX` holds array flags
 * (class), dimensions, name and the real part, whose storage type may be smaller than the class
 * (MATLAB stores whole-number doubles as uint8/uint16).
 *
 * @example
 * ```ts
 * import { readMat } from "./matv5.ts";
 * const vars = readMat(await Deno.readFile("imagelabels.mat"), "imagelabels.mat");
 * const labels = vars.get("labels")!.data; // Float64Array of 1..102
 * ```
 * @module
 */
import { inflateSync } from "node:zlib";

/** One numeric MATLAB variable; `data` is column-major, as MATLAB stores it. */
export interface MatArray {
  name: string;
  /** MATLAB class name, e.g. "double", "uint8". */
  className: string;
  dims: number[];
  data: Float64Array;
}

const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9,
  INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;

const NUMERIC_CLASSES: Record<number, string> = {
  6: "double", 7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32", 13: "uint32", 14: "int64", 15: "uint64",
};

const ELEMENT_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

interface Element {
  type: number;
  data: Uint8Array;
  /** Offset just past the element (with padding). */
  next: number;
}

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly little: boolean, readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new Error(`Cannot read MAT-file '${this.source}': ${message}`);
  }

  element(offset: number): Element {
    if (offset + 8 > this.bytes.length) this.fail(`truncated tag at byte ${offset}`);
    const first = this.view.getUint32(offset, this.little);
    if (first >>> 16 !== 0) {
      const type = first & 0xffff, size = first >>> 16;
      if (size > 4) this.fail(`small data element at byte ${offset} claims ${size} bytes`);
      return { type, data: this.bytes.subarray(offset + 4, offset + 4 + size), next: offset + 8 };
    }
    const size = this.view.getUint32(offset + 4, this.little);
    const start = offset + 8;
    if (start + size > this.bytes.length) this.fail(`element of type ${first} at byte ${offset} needs ${size} bytes, only ${this.bytes.length - start} left`);
    const padded = first === MI.COMPRESSED ? size : Math.ceil(size / 8) * 8;
    return { type: first, data: this.bytes.subarray(start, start + size), next: Math.min(start + padded, this.bytes.length) };
  }

  numbers(el: Element, what: string): Float64Array {
    const size = ELEMENT_SIZE[el.type];
    if (!size || el.type === MI.UTF8 || el.type === MI.UTF16 || el.type === MI.UTF32) this.fail(`${what} has non-numeric storage type ${el.type}`);
    if (el.data.length % size !== 0) this.fail(`${what} has ${el.data.length} bytes, not a multiple of ${size}`);
    const n = el.data.length / size;
    const dv = new DataView(el.data.buffer, el.data.byteOffset, el.data.byteLength);
    const out = new Float64Array(n);
    const le = this.little;
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (el.type) {
        case MI.INT8: out[i] = dv.getInt8(o); break;
        case MI.UINT8: out[i] = dv.getUint8(o); break;
        case MI.INT16: out[i] = dv.getInt16(o, le); break;
        case MI.UINT16: out[i] = dv.getUint16(o, le); break;
        case MI.INT32: out[i] = dv.getInt32(o, le); break;
        case MI.UINT32: out[i] = dv.getUint32(o, le); break;
        case MI.SINGLE: out[i] = dv.getFloat32(o, le); break;
        case MI.DOUBLE: out[i] = dv.getFloat64(o, le); break;
        case MI.INT64: out[i] = Number(dv.getBigInt64(o, le)); break;
        case MI.UINT64: out[i] = Number(dv.getBigUint64(o, le)); break;
      }
    }
    return out;
  }

  /** Parses a miMATRIX body; returns null for non-numeric classes (cells, structs, chars...). */
  matrix(body: Uint8Array): MatArray | null {
    const sub = new Reader(body, this.little, this.source);
    const flags = sub.element(0);
    if (flags.type !== MI.UINT32 || flags.data.length < 8) this.fail("array flags are missing");
    const flagWord = new DataView(flags.data.buffer, flags.data.byteOffset, 8).getUint32(0, this.little);
    const cls = flagWord & 0xff;
    const complex = (flagWord & 0x0800) !== 0;
    const dimsEl = sub.element(flags.next);
    const dims = Array.from(sub.numbers(dimsEl, "dimensions"));
    const nameEl = sub.element(dimsEl.next);
    const name = new TextDecoder().decode(nameEl.data);
    const className = NUMERIC_CLASSES[cls];
    if (!className) return null;
    if (complex) this.fail(`variable '${name}' is complex, which is not supported`);
    const real = sub.element(nameEl.next);
    const data = sub.numbers(real, `variable '${name}'`);
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) this.fail(`variable '${name}' has dimensions [${dims}] but ${data.length} values`);
    return { name, className, dims, data };
  }
}

/** Parses a level-5 MAT-file and returns its numeric variables by name. */
export function readMat(bytes: Uint8Array, source = "MAT data"): Map<string, MatArray> {
  if (bytes.length < 128) throw new Error(`Cannot read MAT-file '${source}': ${bytes.length} bytes is shorter than the 128-byte header`);
  const indicator = String.fromCharCode(bytes[126], bytes[127]);
  if (indicator !== "IM" && indicator !== "MI") {
    throw new Error(`Cannot read MAT-file '${source}': no level-5 endian indicator (got '${indicator}'); v4 and v7.3 (HDF5) files are not supported`);
  }
  const little = indicator === "IM";
  const reader = new Reader(bytes, little, source);
  const vars = new Map<string, MatArray>();
  const visit = (r: Reader, start: number) => {
    for (let offset = start; offset < r.bytes.length;) {
      const el = r.element(offset);
      if (el.type === MI.COMPRESSED) {
        let inflated: Uint8Array;
        try {
          inflated = inflateSync(el.data);
        } catch (e) {
          r.fail(`compressed element at byte ${offset} is corrupt (${(e as Error).message})`);
        }
        visit(new Reader(inflated, little, source), 0);
      } else if (el.type === MI.MATRIX) {
        const m = r.matrix(el.data);
        if (m) vars.set(m.name, m);
      }
      offset = el.next;
    }
  };
  visit(reader, 128);
  return vars;
}
