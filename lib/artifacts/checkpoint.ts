/**
 * The training checkpoint files: owner of their schema, writer and readers.
 *
 * - `checkpoint.safetensors` (and `checkpoints/net_<iter>.safetensors`), written by `train-ebm`
 *   and `train-toy`: weights in PyTorch layout under `net.<state_dict key>`, optimiser buffers
 *   under `optim.<buffer>/<key>` plus `optim.step` (F64), and string metadata `iteration`,
 *   `seed`, `config` (JSON), `net_type`, `n_c` (image nets only), `n_f`.
 * - `bank.safetensors`: the persistent chains, tensor `bank` [size, …state shape], same metadata.
 * - A PyTorch `state_dict`: a `.pth`/`.pt` file (either `torch.save` format, `lib/util/pth.ts`)
 *   or one converted to safetensors (README): bare keys (`f.0.weight`), F32 or F64, no metadata.
 *
 * Readers take the network shape the step's config expects ({@link NetShape}): a checkpoint that
 * records a different one is an error naming the file and the field; one without metadata (a
 * PyTorch conversion, or an older checkpoint) is read with the config's shape — never a default.
 *
 * @example
 * ```ts ignore
 * import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
 * await writeCheckpoint("out/checkpoint.safetensors", model.stateTensors(), { iteration: 100, seed: 1, config, net_type: "vanilla", n_c: 3, n_f: 64 });
 * const ck = await readCheckpoint("out/checkpoint.safetensors", { net_type: "vanilla", n_c: 3, n_f: 64 });
 * const net = createNet(ck.shape.net_type, ck.shape);
 * net.loadStateDict(ck.stateDict);
 * ```
 * @module
 */
import type { NetType, StateDict } from "../nets/net.ts";
import { ARCHITECTURES } from "../nets/architectures.ts";
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { readPth } from "../util/pth.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** The file name a training step's final checkpoint has in its output directory. */
export const CHECKPOINT_FILE = "checkpoint.safetensors";
/** The file name of a training step's persistent bank. */
export const BANK_FILE = "bank.safetensors";

const NET_TYPES: readonly NetType[] = Object.keys(ARCHITECTURES) as NetType[];
/** The toy net's input dimension, which it is built with as `n_c`. */
const TOY_INPUT_DIM = 2;

/** Which network a checkpoint holds: the type and the size fields `createNet` takes. */
export interface NetShape {
  net_type: NetType;
  n_c: number;
  n_f: number;
}

/** Metadata of a training checkpoint (toy nets record no `n_c`). */
export interface CheckpointMeta {
  iteration: number;
  seed: number;
  config: unknown;
  net_type: NetType;
  n_c?: number;
  n_f: number;
}

/** A checkpoint read back. */
export interface LoadedCheckpoint {
  /** The network shape: from the file's metadata where it has it, else from the expected shape. */
  shape: NetShape;
  stateDict: StateDict;
  /** Optimiser buffers and step count, when the file has them. */
  optimizer: { stateDict: StateDict; step: number } | null;
  /** Null for files without metadata (PyTorch conversions). */
  iteration: number | null;
  seed: number | null;
  config: unknown;
  metadata: Record<string, string>;
}

/** The metadata strings, in the order the training steps have always written them. */
function metadataStrings(m: CheckpointMeta): Record<string, string> {
  const out: Record<string, string> = { iteration: String(m.iteration), seed: String(m.seed), config: JSON.stringify(m.config), net_type: m.net_type };
  if (m.n_c !== undefined) out.n_c = String(m.n_c);
  out.n_f = String(m.n_f);
  return out;
}

/**
 * Checkpoint bytes: `tensors` as `NetAndOptimizer.stateTensors()` gives them (`net.*`,
 * `optim.*`, `optim.step`), with `meta`.
 *
 * @example
 * ```ts ignore
 * const bytes = encodeCheckpoint(model.stateTensors(), { iteration: 10, seed: 1, config: {}, net_type: "toy", n_f: 32 });
 * ```
 */
export function encodeCheckpoint(tensors: Record<string, NamedTensor>, meta: CheckpointMeta): Uint8Array {
  return encodeSafetensors(tensors, metadataStrings(meta));
}

/**
 * Writes a checkpoint atomically (temp file + rename).
 *
 * @example
 * ```ts ignore
 * await writeCheckpoint(`${dir}/checkpoint.safetensors`, model.stateTensors(), meta);
 * ```
 */
export async function writeCheckpoint(path: string, tensors: Record<string, NamedTensor>, meta: CheckpointMeta): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(tensors, meta));
}

/**
 * Writes the persistent bank (`shape` = [size, …state shape]) with the checkpoint's metadata.
 *
 * @example
 * ```ts ignore
 * await writeBankFile(`${dir}/bank.safetensors`, bank, [10000, 2], meta);
 * ```
 */
export async function writeBankFile(path: string, bank: Float32Array, shape: number[], meta: CheckpointMeta): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors({ bank: { dtype: "F32", shape, data: bank } }, metadataStrings(meta)));
}

/**
 * Reads a bank file: the states and their shape [size, …state shape]; `rowSize` (elements per
 * state) is checked when given.
 *
 * @example
 * ```ts ignore
 * const { states, shape } = await readBankFile("runs/train/bank.safetensors", 32 * 32 * 3);
 * ```
 */
export async function readBankFile(path: string, rowSize?: number): Promise<{ states: Float32Array; shape: number[] }> {
  const { tensors } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  const bank = tensors.bank;
  if (!bank) throw new Error(`Cannot read bank '${path}': tensor 'bank' is missing`);
  const states = toF32(bank, `'${path}'`, "bank");
  if (rowSize !== undefined && (bank.shape.length < 2 || states.length % rowSize !== 0)) {
    throw new Error(`Cannot read bank '${path}': tensor 'bank' [${bank.shape}] does not hold states of ${rowSize} values`);
  }
  return { states, shape: bank.shape };
}

function toF32(t: NamedTensor, source: string, key: string): Float32Array {
  if (t.dtype === "F32") return t.data as Float32Array;
  if (t.dtype === "F64") return Float32Array.from(t.data as Float64Array);
  throw new Error(`Cannot read ${source}: tensor '${key}' has dtype ${t.dtype}, expected F32 or F64`);
}

function prefixed(tensors: Record<string, NamedTensor>, prefix: string, source: string): StateDict {
  const out: StateDict = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = { shape: t.shape, data: toF32(t, source, k) };
  return out;
}

/**
 * The network shape of a checkpoint: each field from its metadata, checked against `expected`
 * (the step's config) where both have it, from `expected` where the file has none; a field
 * neither has is an error naming the file and the field.
 */
function netShape(metadata: Record<string, string>, expected: Partial<NetShape>, source: string, label: string): NetShape {
  const recorded = metadata.net_type;
  if (recorded !== undefined && !NET_TYPES.includes(recorded as NetType)) {
    throw new Error(`Cannot read ${source}: metadata field 'net_type' must be one of ${NET_TYPES.join(", ")}, got '${recorded}'`);
  }
  const pick = <K extends keyof NetShape>(field: K, parse: (s: string) => NetShape[K]): NetShape[K] => {
    const fromFile = metadata[field] === undefined ? undefined : parse(metadata[field]);
    const fromConfig = expected[field];
    if (fromFile !== undefined && fromConfig !== undefined && fromFile !== fromConfig) {
      throw new Error(`Cannot read ${source}: metadata field '${field}' is ${fromFile} but ${label} '${field}' is ${fromConfig}`);
    }
    const value = fromFile ?? fromConfig;
    if (value === undefined) throw new Error(`Cannot read ${source}: metadata field '${field}' is missing and ${label} has no '${field}' to take it from`);
    return value;
  };
  const int = (field: string) => (s: string) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 1) throw new Error(`Cannot read ${source}: metadata field '${field}' must be a positive integer, got '${s}'`);
    return v;
  };
  const net_type = pick("net_type", (s) => s as NetType);
  // n_c does not apply to toy nets (their input is a 2-D point; `toy_problem.ts` builds them
  // with n_c 2): toy checkpoints record none.
  const n_c = net_type === "toy" ? TOY_INPUT_DIM : pick("n_c", int("n_c"));
  return { net_type, n_c, n_f: pick("n_f", int("n_f")) };
}

/**
 * Parses checkpoint bytes; `source` names the file in errors, `expected` is the network shape
 * of the step's config and `label` what it is called in errors (e.g. "config").
 *
 * @example
 * ```ts ignore
 * const ck = decodeCheckpoint(await Deno.readFile(path), `'${path}'`, { net_type: "vanilla", n_c: 1, n_f: 32 });
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array, source = "checkpoint", expected: Partial<NetShape> = {}, label = "the config"): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  return checkpointFrom(tensors, metadata, source, expected, label);
}

/** A checkpoint from its tensors and metadata (see {@link decodeCheckpoint}). */
function checkpointFrom(tensors: Record<string, NamedTensor>, metadata: Record<string, string>, source: string, expected: Partial<NetShape>, label: string): LoadedCheckpoint {
  const shape = netShape(metadata, expected, source, label);
  const num = (field: string) => {
    if (metadata[field] === undefined) return null;
    const v = Number(metadata[field]);
    if (!Number.isFinite(v)) throw new Error(`Cannot read ${source}: metadata field '${field}' must be a number, got '${metadata[field]}'`);
    return v;
  };
  let optimizer: LoadedCheckpoint["optimizer"] = null;
  if (tensors["optim.step"]) {
    const all = prefixed(tensors, "optim.", source);
    delete all.step;
    optimizer = { stateDict: all, step: Number(tensors["optim.step"].data[0]) };
  }
  let config: unknown = null;
  try {
    config = JSON.parse(metadata.config ?? "null");
  } catch {
    throw new Error(`Cannot read ${source}: metadata field 'config' is not valid JSON`);
  }
  // This project's checkpoints prefix weights with `net.`; PyTorch conversions have bare keys.
  const hasPrefix = Object.keys(tensors).some((k) => k.startsWith("net."));
  return {
    shape,
    stateDict: hasPrefix ? prefixed(tensors, "net.", source) : prefixed(tensors, "", source),
    optimizer,
    iteration: num("iteration"),
    seed: num("seed"),
    config,
    metadata,
  };
}

/**
 * Reads a checkpoint written by {@link writeCheckpoint}, or a PyTorch state_dict (`.pth`/`.pt`,
 * read directly, or converted to `.safetensors`).
 *
 * @example
 * ```ts ignore
 * const { shape, stateDict } = await readCheckpoint("out/checkpoint.safetensors", { net_type: "nonlocal", n_c: 3, n_f: 32 });
 * ```
 */
export async function readCheckpoint(path: string, expected: Partial<NetShape> = {}, label = "the config"): Promise<LoadedCheckpoint> {
  if (/\.(pth|pt)$/i.test(path)) return checkpointFrom(await readPth(path), {}, `'${path}'`, expected, label);
  if (!/\.safetensors$/i.test(path)) throw new Error(`Cannot read checkpoint '${path}': expected a .safetensors or .pth file`);
  return decodeCheckpoint(await Deno.readFile(path), `'${path}'`, expected, label);
}

/**
 * Reads only the weights of a PyTorch state_dict saved as safetensors (plain keys such as
 * `f.0.weight`, or this project's `net.`-prefixed checkpoint keys); F64 values are rounded to F32.
 *
 * @example
 * ```ts ignore
 * net.loadStateDict(await readTorchStateDict("vanilla_cifar10.safetensors"));
 * ```
 */
export async function readTorchStateDict(path: string): Promise<StateDict> {
  const source = `'${path}'`;
  const { tensors } = decodeSafetensors(await Deno.readFile(path), source);
  const hasPrefix = Object.keys(tensors).some((k) => k.startsWith("net."));
  return hasPrefix ? prefixed(tensors, "net.", source) : prefixed(tensors, "", source);
}
