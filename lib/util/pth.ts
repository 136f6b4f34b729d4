/**
 * Reading PyTorch `.pth` state_dicts without Python: the zip format (`torch.save` since
 * PyTorch 1.6: `<root>/data.pkl` plus one `<root>/data/<key>` entry per storage) and the legacy
 * format before it (magic number, protocol and system-info pickles, the state_dict pickle, the
 * storage keys, then each storage as an int64 element count and its bytes). The pickle runs
 * through `lib/util/pickle.ts` with only what a state_dict needs permitted — tensor rebuilds
 * (`torch._utils._rebuild_tensor_v2`, `_rebuild_tensor`, `_rebuild_parameter`), typed storages
 * (`torch.FloatStorage`, …) and `collections.OrderedDict` — so any other global (a pickle that
 * would run code) is refused naming it, and nothing is ever executed. Views (offsets, strides)
 * are copied out contiguous; half and bfloat16 tensors are widened to F32, bool to U8.
 *
 * @example
 * ```ts ignore
 * import { readPth } from "./pth.ts";
 * const tensors = await readPth("flowers_convergent_net.pth");
 * console.log(Object.keys(tensors)); // ["convs.0.weight", "convs.0.bias", …]
 * ```
 * @module
 */
import { type GlobalHandler, unpickle } from "./pickle.ts";
import type { Dtype, NamedTensor } from "./safetensors.ts";
import { looksLikeZip, openZip } from "./zip.ts";

/** Storage classes a state_dict may name: their element type and size. */
const STORAGES: Record<string, { dtype: Dtype | "F16" | "BF16" | "BOOL"; bytes: number }> = {
  FloatStorage: { dtype: "F32", bytes: 4 },
  DoubleStorage: { dtype: "F64", bytes: 8 },
  HalfStorage: { dtype: "F16", bytes: 2 },
  BFloat16Storage: { dtype: "BF16", bytes: 2 },
  LongStorage: { dtype: "I64", bytes: 8 },
  IntStorage: { dtype: "I32", bytes: 4 },
  ShortStorage: { dtype: "I16", bytes: 2 },
  CharStorage: { dtype: "I8", bytes: 1 },
  ByteStorage: { dtype: "U8", bytes: 1 },
  BoolStorage: { dtype: "BOOL", bytes: 1 },
};

class StorageType {
  constructor(readonly name: string) {}
}

/** A storage reference from a persistent id; its bytes are attached once read. */
class StorageRef {
  bytes?: Uint8Array;
  constructor(readonly type: StorageType, readonly key: string, readonly numel: number, readonly view?: { offset: number; numel: number }) {}
}

/** A tensor rebuilt from the pickle: a strided view of a storage. */
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const REFUSAL = "which a state_dict never holds";

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
}

function pickleOptions(source: string, storages: Map<string, StorageRef>, pidLength: number) {
  const fail = (why: string): never => {
    throw new Error(`Cannot read ${source}: ${why}`);
  };
  const rebuild = (args: unknown[], name: string) => {
    const [storage, offset, shape, stride] = args;
    if (!(storage instanceof StorageRef) || !Number.isInteger(offset) || !isIntArray(shape) || !isIntArray(stride) || shape.length !== stride.length) {
      fail(`${name} is called with arguments that are not (storage, offset, size, stride)`);
    }
    return new TensorRef(storage as StorageRef, offset as number, shape as number[], stride as number[]);
  };
  const globals: Record<string, GlobalHandler> = {
    "collections.OrderedDict": { call: (args) => (args.length === 0 ? new Map() : fail("collections.OrderedDict is called with arguments")) },
    "torch._utils._rebuild_tensor_v2": { call: (args) => rebuild(args, "torch._utils._rebuild_tensor_v2") },
    "torch._utils._rebuild_tensor": { call: (args) => rebuild(args, "torch._utils._rebuild_tensor") },
    "torch._utils._rebuild_parameter": {
      call: (args) => (args[0] instanceof TensorRef ? args[0] : fail("torch._utils._rebuild_parameter is called without a tensor")),
    },
  };
  for (const name of Object.keys(STORAGES)) globals[`torch.${name}`] = { call: () => fail(`torch.${name} is called directly`) };
  const typeOf = new Map(Object.keys(STORAGES).map((n) => [`torch.${n}`, new StorageType(n)]));
  return {
    source,
    refusal: REFUSAL,
    globals,
    // A state_dict's OrderedDict carries `_metadata` (module versions) as BUILD state: not needed.
    build: (obj: unknown) => (obj instanceof Map ? obj : fail("BUILD sets the state of something other than a dict")),
    persistentLoad: (pid: unknown) => {
      if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < pidLength) fail(`a persistent id is not a storage reference: ${JSON.stringify(pid)}`);
      const [, type, key, _location, numel, viewMeta] = pid as unknown[];
      const g = type as { name?: string };
      const storageType = g && typeof g.name === "string" ? typeOf.get(g.name) : undefined;
      if (!storageType) fail(`a storage has type ${JSON.stringify(g?.name ?? type)}, not one of torch.${Object.keys(STORAGES).join(", torch.")}`);
      if (typeof key !== "string" || !Number.isInteger(numel)) fail(`a storage reference has key ${JSON.stringify(key)} and size ${numel}`);
      let root = storages.get(key as string);
      if (!root) storages.set(key as string, root = new StorageRef(storageType!, key as string, numel as number));
      if (root.type.name !== storageType!.name) fail(`storage '${key}' is named as both ${root.type.name} and ${storageType!.name}`);
      if (viewMeta == null) return root;
      // Legacy storage views: (view_key, offset, view_size) into the root storage.
      const [, offset, size] = viewMeta as [unknown, number, number];
      if (!Number.isInteger(offset) || !Number.isInteger(size)) fail(`storage view of '${key}' has offset ${offset} and size ${size}`);
      const view = new StorageRef(storageType!, key as string, size, { offset, numel: size });
      return view;
    },
  };
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Copies a strided view out of its storage into a contiguous NamedTensor. */
function materialise(name: string, t: TensorRef, storages: Map<string, StorageRef>, source: string): NamedTensor {
  const root = storages.get(t.storage.key)!;
  if (!root.bytes) throw new Error(`Cannot read ${source}: tensor '${name}' uses storage '${t.storage.key}', whose data is missing from the file`);
  const { dtype: kind, bytes: width } = STORAGES[root.type.name];
  const base = t.storage.view?.offset ?? 0;
  const count = t.shape.reduce((a, b) => a * b, 1);
  // Element indices into the root storage, in C order.
  const index = new Float64Array(count);
  let reach = count === 0 ? -1 : base + t.offset;
  for (let d = 0; d < t.shape.length; d++) reach += (t.shape[d] - 1) * t.stride[d];
  const available = t.storage.view ? base + t.storage.view.numel : root.numel;
  if (count > 0 && (reach >= available || base + t.offset < 0)) {
    throw new Error(`Cannot read ${source}: tensor '${name}' (size [${t.shape}], stride [${t.stride}], offset ${t.offset}) reaches past its storage of ${available} elements`);
  }
  for (let i = 0; i < count; i++) {
    let rest = i, at = base + t.offset;
    for (let d = t.shape.length - 1; d >= 0; d--) {
      at += (rest % t.shape[d]) * t.stride[d];
      rest = Math.floor(rest / t.shape[d]);
    }
    index[i] = at;
  }
  const dv = new DataView(root.bytes.buffer, root.bytes.byteOffset, root.bytes.byteLength);
  const read = <A extends { [i: number]: number | bigint }>(out: A, get: (off: number) => number | bigint) => {
    for (let i = 0; i < count; i++) out[i] = get(index[i] * width) as A[number];
    return out;
  };
  const shape = [...t.shape];
  switch (kind) {
    case "F32": return { dtype: "F32", shape, data: read(new Float32Array(count), (o) => dv.getFloat32(o, true)) };
    case "F64": return { dtype: "F64", shape, data: read(new Float64Array(count), (o) => dv.getFloat64(o, true)) };
    case "F16": return { dtype: "F32", shape, data: read(new Float32Array(count), (o) => f16ToF32(dv.getUint16(o, true))) };
    case "BF16": return { dtype: "F32", shape, data: read(new Float32Array(count), (o) => { const b = new DataView(new ArrayBuffer(4)); b.setUint32(0, dv.getUint16(o, true) << 16, true); return b.getFloat32(0, true); }) };
    case "I64": return { dtype: "I64", shape, data: read(new BigInt64Array(count), (o) => dv.getBigInt64(o, true)) };
    case "I32": return { dtype: "I32", shape, data: read(new Int32Array(count), (o) => dv.getInt32(o, true)) };
    case "I16": return { dtype: "I16", shape, data: read(new Int16Array(count), (o) => dv.getInt16(o, true)) };
    case "I8": return { dtype: "I8", shape, data: read(new Int8Array(count), (o) => dv.getInt8(o)) };
    case "U8": case "BOOL": return { dtype: "U8", shape, data: read(new Uint8Array(count), (o) => dv.getUint8(o)) };
    default: throw new Error(`Cannot read ${source}: tensor '${name}' has unsupported storage ${root.type.name}`);
  }
}

/** Checks the unpickled object is a flat state_dict and copies every tensor out. */
function toTensors(value: unknown, storages: Map<string, StorageRef>, source: string): Record<string, NamedTensor> {
  if (!(value instanceof Map)) throw new Error(`Cannot read ${source}: it holds a ${Array.isArray(value) ? "list" : typeof value}, not a state_dict (a dict of tensors)`);
  const out: Record<string, NamedTensor> = {};
  for (const [k, v] of value) {
    if (typeof k !== "string") throw new Error(`Cannot read ${source}: a state_dict key is ${JSON.stringify(k)}, not a string`);
    if (!(v instanceof TensorRef)) {
      const hint = v instanceof Map ? ` (a nested dict: save the state_dict itself, e.g. torch.save(ckpt['${k}'], …))` : "";
      throw new Error(`Cannot read ${source}: entry '${k}' is not a tensor${hint}`);
    }
    out[k] = materialise(k, v, storages, source);
  }
  return out;
}

async function readZipFormat(bytes: Uint8Array, source: string): Promise<Record<string, NamedTensor>> {
  const zip = openZip(bytes, source);
  const pkl = zip.names().find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new Error(`Cannot read ${source}: it is a zip archive without '<name>/data.pkl', not a PyTorch checkpoint`);
  const root = pkl.slice(0, -"data.pkl".length);
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(await zip.read(pkl), pickleOptions(source, storages, 5));
  for (const s of storages.values()) {
    const data = await zip.read(`${root}data/${s.key}`);
    const width = STORAGES[s.type.name].bytes;
    if (data.length < s.numel * width) throw new Error(`Cannot read ${source}: storage '${s.key}' holds ${data.length} bytes, ${s.numel} × ${width} expected`);
    s.bytes = data;
  }
  return toTensors(value, storages, source);
}

function readLegacyFormat(bytes: Uint8Array, source: string): Record<string, NamedTensor> {
  const plain = { source, globals: {}, refusal: REFUSAL };
  const magic = unpickle(bytes, plain, 0);
  if (magic.value !== LEGACY_MAGIC) throw new Error(`Cannot read ${source}: not a PyTorch checkpoint (wrong magic number)`);
  const protocol = unpickle(bytes, plain, magic.end);
  if (protocol.value !== 1001) throw new Error(`Cannot read ${source}: legacy protocol version ${protocol.value}, only 1001 is known`);
  const sysInfo = unpickle(bytes, plain, protocol.end);
  if (sysInfo.value instanceof Map && sysInfo.value.get("little_endian") === false) throw new Error(`Cannot read ${source}: it was written on a big-endian machine`);
  const storages = new Map<string, StorageRef>();
  const main = unpickle(bytes, pickleOptions(source, storages, 6), sysInfo.end);
  const keys = unpickle(bytes, plain, main.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) throw new Error(`Cannot read ${source}: the storage key list is damaged`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = keys.end;
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (p + 8 > bytes.length) throw new Error(`Cannot read ${source}: storage '${key}' is cut off (truncated file?)`);
    const numel = Number(dv.getBigInt64(p, true));
    p += 8;
    const width = s ? STORAGES[s.type.name].bytes : 1;
    if (!s) throw new Error(`Cannot read ${source}: the file holds storage '${key}', which no tensor names`);
    if (p + numel * width > bytes.length) throw new Error(`Cannot read ${source}: storage '${key}' (${numel} elements) is cut off (truncated file?)`);
    s.bytes = bytes.subarray(p, p + numel * width);
    p += numel * width;
  }
  return toTensors(main.value, storages, source);
}

/**
 * Parses `.pth` bytes (zip or legacy format) into named tensors; `source` names the file in
 * errors. Refuses any pickle global a state_dict does not need, naming it.
 */
export async function decodePth(bytes: Uint8Array, source = "PyTorch checkpoint"): Promise<Record<string, NamedTensor>> {
  if (looksLikeZip(bytes)) return await readZipFormat(bytes, source);
  if (bytes[0] === 0x80) return readLegacyFormat(bytes, source);
  throw new Error(`Cannot read ${source}: it is neither a zip-format nor a legacy PyTorch checkpoint (first byte 0x${(bytes[0] ?? 0).toString(16)})`);
}

/** Reads a `.pth` state_dict file (see `decodePth`). */
export async function readPth(path: string): Promise<Record<string, NamedTensor>> {
  return await decodePth(await Deno.readFile(path), `'${path}'`);
}
