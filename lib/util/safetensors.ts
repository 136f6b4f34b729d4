/**
 * Reading and writing the safetensors format (an 8-byte little-endian header length, a JSON
 * header of `{name: {dtype, shape, data_offsets}}` plus optional `__metadata__` of strings, then
 * the raw little-endian tensor bytes). Used for checkpoints, prepared datasets, banks and minima,
 * and readable by PyTorch's `safetensors` package.
 *
 * @example
 * ```ts
 * import { encodeSafetensors, decodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors({ w: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } }, { iteration: "3" });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * console.log(tensors.w.data, metadata.iteration); // Float32Array [1, 2] "3"
 * ```
 * @module
 */

/** Element types supported here. */
export type Dtype = "F32" | "F64" | "I32" | "I64" | "U8" | "I8" | "U16" | "I16";

/** A named tensor: dtype, shape and a typed array holding exactly prod(shape) elements. */
export interface NamedTensor {
  dtype: Dtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array | Int16Array;
}

const BYTES: Record<Dtype, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1, I8: 1, U16: 2, I16: 2 };

function view(dtype: Dtype, buffer: ArrayBuffer, offset: number, count: number): NamedTensor["data"] {
  switch (dtype) {
    case "F32": return new Float32Array(buffer, offset, count);
    case "F64": return new Float64Array(buffer, offset, count);
    case "I32": return new Int32Array(buffer, offset, count);
    case "I64": return new BigInt64Array(buffer, offset, count);
    case "U8": return new Uint8Array(buffer, offset, count);
    case "I8": return new Int8Array(buffer, offset, count);
    case "U16": return new Uint16Array(buffer, offset, count);
    case "I16": return new Int16Array(buffer, offset, count);
  }
}

/** Serialises tensors (in key order) and string metadata into one safetensors byte array. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) {
      throw new Error(`Cannot encode tensor '${name}': shape [${t.shape}] needs ${count} elements, got ${t.data.length}`);
    }
    const size = count * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += " "; // keep tensor data 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

/** Parses safetensors bytes; tensors are copied into aligned typed arrays. */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8) throw new Error(`Cannot read ${source}: ${bytes.length} bytes is too short for a safetensors header`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > bytes.length) {
    throw new Error(`Cannot read ${source}: header length ${headerLength} exceeds the file size ${bytes.length}`);
  }
  let header: Record<string, { dtype: Dtype; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new Error(`Cannot read ${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + headerLength;
  const tensors: Record<string, NamedTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: Dtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw new Error(`Cannot read ${source}: tensor '${name}' has unsupported dtype '${dtype}'`);
    const [begin, end] = data_offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype] || base + end > bytes.length) {
      throw new Error(`Cannot read ${source}: tensor '${name}' offsets [${begin}, ${end}] do not match shape [${shape}] or the file size`);
    }
    const copy = bytes.slice(base + begin, base + end);
    tensors[name] = { dtype, shape, data: view(dtype, copy.buffer, 0, count) };
  }
  return { tensors, metadata };
}

/** Reads a safetensors file. */
export async function readSafetensors(path: string) {
  return decodeSafetensors(await Deno.readFile(path), `'${path}'`);
}
