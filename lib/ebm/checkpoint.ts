/**
 * Checkpoints in safetensors: weights in PyTorch layout under `net.<state_dict key>`, optimiser
 * buffers under `optim.<buffer>/<key>` plus `optim.step`, the persistent bank under `bank`, and
 * metadata `iteration`, `seed`, `config` (JSON), `net_type`, `n_c`, `n_f`, `optimizer_type`, `lr`.
 * Also reads plain PyTorch state_dicts saved as safetensors (see README: converting the paper's
 * `.pth` files), F32 or F64.
 *
 * @example
 * ```ts
 * await saveCheckpoint("out/ckpt.safetensors", { net, optimizer, bank, iteration: 100, seed: 1, config });
 * const ck = await loadCheckpoint("out/ckpt.safetensors");
 * const net2 = createNet(ck.netType, ck.size, 0);
 * net2.loadStateDict(ck.stateDict);
 * ```
 * @module
 */
import type { EnergyNet, NetSize, NetType, StateDict } from "../nets/net.ts";
import type { Optimizer, OptimizerType } from "./optim.ts";
import type { PersistentBank } from "./init.ts";
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** What a checkpoint holds. */
export interface CheckpointContents {
  net: EnergyNet;
  optimizer?: Optimizer;
  bank?: PersistentBank;
  iteration: number;
  seed: number;
  config: unknown;
}

/** A checkpoint read back. */
export interface LoadedCheckpoint {
  netType: NetType;
  size: NetSize;
  stateDict: StateDict;
  optimizer: { type: OptimizerType; lr: number; step: number; stateDict: StateDict } | null;
  bank: { states: Float32Array; shape: number[] } | null;
  iteration: number;
  seed: number;
  config: unknown;
  metadata: Record<string, string>;
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
 * Encodes a checkpoint to safetensors bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeCheckpoint({ net, optimizer, iteration: 10, seed: 1, config: {} });
 * ```
 */
export function encodeCheckpoint(c: CheckpointContents): Uint8Array {
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(c.net.stateDict())) tensors[`net.${k}`] = { dtype: "F32", shape: v.shape, data: v.data };
  const metadata: Record<string, string> = {
    format: "ebm-anatomy-checkpoint/1",
    iteration: String(c.iteration),
    seed: String(c.seed),
    config: JSON.stringify(c.config ?? null),
    net_type: c.net.type,
    n_c: String(c.net.size.n_c),
    n_f: String(c.net.size.n_f),
  };
  if (c.optimizer) {
    for (const [k, v] of Object.entries(c.optimizer.stateDict())) tensors[`optim.${k}`] = { dtype: "F32", shape: v.shape, data: v.data };
    tensors["optim.step"] = { dtype: "F64", shape: [1], data: new Float64Array([c.optimizer.stepCount]) };
    metadata.optimizer_type = c.optimizer.type;
    metadata.lr = String(c.optimizer.lr);
  }
  if (c.bank) tensors.bank = { dtype: "F32", shape: [c.bank.size, ...c.bank.rowShape], data: c.bank.states };
  return encodeSafetensors(tensors, metadata);
}

/**
 * Writes a checkpoint atomically (temp file + rename).
 *
 * @example
 * ```ts
 * await saveCheckpoint("out/net_000100.safetensors", { net, optimizer, bank, iteration: 100, seed: 123, config });
 * ```
 */
export async function saveCheckpoint(path: string, c: CheckpointContents): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(c));
}

/**
 * Parses checkpoint bytes; `source` names the file in errors.
 *
 * @example
 * ```ts
 * const ck = decodeCheckpoint(await Deno.readFile(path), `'${path}'`);
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array, source = "checkpoint"): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const need = (field: string) => {
    const v = metadata[field];
    if (v === undefined) throw new Error(`Cannot read ${source}: metadata field '${field}' is missing`);
    return v;
  };
  const netType = need("net_type") as NetType;
  if (!["toy", "vanilla", "nonlocal"].includes(netType)) throw new Error(`Cannot read ${source}: metadata 'net_type' must be toy, vanilla or nonlocal, got '${netType}'`);
  const num = (field: string) => {
    const v = Number(need(field));
    if (!Number.isFinite(v)) throw new Error(`Cannot read ${source}: metadata '${field}' must be a number, got '${metadata[field]}'`);
    return v;
  };
  let optimizer: LoadedCheckpoint["optimizer"] = null;
  if (metadata.optimizer_type !== undefined && tensors["optim.step"]) {
    const all = prefixed(tensors, "optim.", source);
    delete all.step;
    optimizer = { type: metadata.optimizer_type as OptimizerType, lr: num("lr"), step: Number(tensors["optim.step"].data[0]), stateDict: all };
  }
  const bank = tensors.bank ? { states: toF32(tensors.bank, source, "bank"), shape: tensors.bank.shape } : null;
  let config: unknown = null;
  try {
    config = JSON.parse(metadata.config ?? "null");
  } catch {
    throw new Error(`Cannot read ${source}: metadata 'config' is not valid JSON`);
  }
  return {
    netType,
    size: { n_c: num("n_c"), n_f: num("n_f") },
    stateDict: prefixed(tensors, "net.", source),
    optimizer,
    bank,
    iteration: num("iteration"),
    seed: num("seed"),
    config,
    metadata,
  };
}

/**
 * Reads a checkpoint file written by {@link saveCheckpoint}.
 *
 * @example
 * ```ts
 * const { netType, size, stateDict } = await loadCheckpoint("out/checkpoint.safetensors");
 * ```
 */
export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  return decodeCheckpoint(await Deno.readFile(path), `'${path}'`);
}

/**
 * Reads a PyTorch state_dict saved as safetensors (plain keys such as `f.0.weight`, or this
 * project's `net.`-prefixed checkpoint keys); F64 values are rounded to F32.
 *
 * @example
 * ```ts
 * net.loadStateDict(await readTorchStateDict("vanilla_cifar10.safetensors"));
 * ```
 */
export async function readTorchStateDict(path: string): Promise<StateDict> {
  const source = `'${path}'`;
  const { tensors } = decodeSafetensors(await Deno.readFile(path), source);
  const hasPrefix = Object.keys(tensors).some((k) => k.startsWith("net."));
  return hasPrefix ? prefixed(tensors, "net.", source) : prefixed(tensors, "", source);
}
