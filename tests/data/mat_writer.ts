/**
 * Writes small level-5 MAT-files for tests (scipy is not installed here), with the packings
 * MATLAB uses: small data elements for ≤ 4-byte parts, integer storage of double arrays,
 * optional miCOMPRESSED wrapping and either byte order.
 *
 * @example
 * ```ts
 * import { writeMat } from "./mat_writer.ts";
 * const bytes = writeMat([{ name: "labels", values: [1, 2, 3], storage: "uint8" }]);
 * ```
 * @module
 */
import { deflateSync } from "node:zlib";

/** One variable: a 1×N row vector (or `dims`), class double unless `className` says otherwise. */
export interface MatVar {
  name: string;
  values: number[];
  storage: "uint8" | "uint16" | "int32" | "double";
  classCode?: number;
  dims?: number[];
  compress?: boolean;
}

const STORAGE = { uint8: [2, 1], uint16: [4, 2], int32: [5, 4], double: [9, 8] } as const;

function element(type: number, data: Uint8Array, little: boolean): Uint8Array {
  if (data.length <= 4 && type !== 14 && type !== 15) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, (data.length << 16) | type, little);
    out.set(data, 4);
    return out;
  }
  const padded = type === 15 ? data.length : Math.ceil(data.length / 8) * 8;
  const out = new Uint8Array(8 + padded);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, little);
  dv.setUint32(4, data.length, little);
  out.set(data, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Encodes `vars` as a MAT-file (little-endian "IM" unless `little` is false). */
export function writeMat(vars: MatVar[], little = true): Uint8Array {
  const header = new Uint8Array(128).fill(0x20);
  header.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, written by the ebm test suite"), 0);
  const hv = new DataView(header.buffer);
  hv.setBigUint64(116, 0n);
  hv.setUint16(124, 0x0100, little);
  hv.setUint16(126, 0x4d49, little); // 'M''I' as a u16: reads back as "IM" on little-endian
  const parts: Uint8Array[] = [header];
  for (const v of vars) {
    const flags = new Uint8Array(8);
    new DataView(flags.buffer).setUint32(0, v.classCode ?? 6, little);
    const dims = v.dims ?? [1, v.values.length];
    const dimBytes = new Uint8Array(4 * dims.length);
    dims.forEach((d, i) => new DataView(dimBytes.buffer).setInt32(4 * i, d, little));
    const [type, size] = STORAGE[v.storage];
    const real = new Uint8Array(size * v.values.length);
    const rv = new DataView(real.buffer);
    v.values.forEach((x, i) => {
      if (v.storage === "uint8") rv.setUint8(i, x);
      else if (v.storage === "uint16") rv.setUint16(2 * i, x, little);
      else if (v.storage === "int32") rv.setInt32(4 * i, x, little);
      else rv.setFloat64(8 * i, x, little);
    });
    const body = concat([element(6, flags, little), element(5, dimBytes, little), element(1, new TextEncoder().encode(v.name), little), element(type, real, little)]);
    const matrix = element(14, body, little);
    parts.push(v.compress ? element(15, new Uint8Array(deflateSync(matrix)), little) : matrix);
  }
  return concat(parts);
}
