/**
 * `model.safetensors`, the joint classifier-EBM's weights (owner: schema, writer, reader).
 * Tensors: the MLP's PyTorch state_dict, F32, keys `net.0.weight` [512, 784], `net.0.bias`,
 * `net.2.*`, `net.4.*`, `net.6.weight` [10, 512], `net.6.bias` (Linear–ELU–Linear–ELU–Linear–ELU–
 * Linear), so `model.load_state_dict(safetensors.torch.load_file(path))` works on the seed's
 * `EnergyNet`. Inputs are 28×28 images flattened row-major, pixels in [−1, 1]. Metadata:
 * `format` ("ebm-hybrid-model/1"), `energy_sign` (jem | seed), `input` (a sentence), `seed`,
 * `config` (JSON), `iteration`, `activation` (elu | leaky_relu; absent in older files: elu). A reader error names the file and the missing field.
 *
 * @example
 * ```ts ignore
 * import { readHybridModel, writeHybridModel } from "./hybrid_model.ts";
 * await writeHybridModel("out/model.safetensors", mlp, { energySign: "jem", seed: 1, config: {}, iteration: 10 });
 * const m = await readHybridModel("out/model.safetensors"); // { stateDict, size, energySign, … }
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import type { StateDict } from "../nets/net.ts";
import { createMlpClassifier, type EnergySign, type MlpClassifier, type MlpSize, mlpSizeOf } from "../nets/mlp_classifier.ts";

/** File name of the weights inside a training step's output. */
export const HYBRID_MODEL_FILE = "model.safetensors";

/** The format tag in the metadata. */
export const HYBRID_MODEL_FORMAT = "ebm-hybrid-model/1";

/** What is stored beside the weights. */
export interface HybridModelInfo {
  energySign: EnergySign;
  seed: number;
  config: unknown;
  iteration: number;
}

/** A model file read back. */
export interface LoadedHybridModel extends HybridModelInfo {
  stateDict: StateDict;
  size: MlpSize;
  metadata: Record<string, string>;
}

/** Encodes the MLP's weights (PyTorch layout, keys as in its state_dict) with the metadata. */
export function encodeHybridModel(mlp: MlpClassifier, info: HybridModelInfo): Uint8Array {
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(mlp.stateDict())) tensors[k] = { dtype: "F32", shape: v.shape, data: v.data };
  return encodeSafetensors(tensors, {
    format: HYBRID_MODEL_FORMAT,
    energy_sign: info.energySign,
    input: `${mlp.size.inputs} values per image (28×28 row-major for MNIST-like data), pixels in [-1, 1]`,
    seed: String(info.seed),
    config: JSON.stringify(info.config ?? null),
    iteration: String(info.iteration),
    activation: mlp.size.activation ?? "elu",
  });
}

/** Writes `model.safetensors` atomically. */
export async function writeHybridModel(path: string, mlp: MlpClassifier, info: HybridModelInfo): Promise<void> {
  await writeFileAtomic(path, encodeHybridModel(mlp, info));
}

/** Parses model bytes; `source` names the file in errors. */
export function decodeHybridModel(bytes: Uint8Array, source = "model file"): LoadedHybridModel {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const need = (field: string) => {
    const v = metadata[field];
    if (v === undefined) throw new Error(`Cannot read ${source}: metadata field '${field}' is missing`);
    return v;
  };
  if (need("format") !== HYBRID_MODEL_FORMAT) throw new Error(`Cannot read ${source}: metadata 'format' should be '${HYBRID_MODEL_FORMAT}', got '${metadata.format}'`);
  const sign = need("energy_sign");
  if (sign !== "jem" && sign !== "seed") throw new Error(`Cannot read ${source}: metadata 'energy_sign' must be jem or seed, got '${sign}'`);
  const stateDict: StateDict = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (t.dtype !== "F32") throw new Error(`Cannot read ${source}: tensor '${k}' has dtype ${t.dtype}, expected F32`);
    stateDict[k] = { shape: t.shape, data: t.data as Float32Array };
  }
  let config: unknown;
  try {
    config = JSON.parse(need("config"));
  } catch {
    throw new Error(`Cannot read ${source}: metadata 'config' is not valid JSON`);
  }
  const num = (field: string) => {
    const v = Number(need(field));
    if (!Number.isFinite(v)) throw new Error(`Cannot read ${source}: metadata '${field}' must be a number, got '${metadata[field]}'`);
    return v;
  };
  const activation = metadata.activation ?? "elu";
  if (activation !== "elu" && activation !== "leaky_relu") throw new Error(`Cannot read ${source}: metadata 'activation' must be elu or leaky_relu, got '${activation}'`);
  return { stateDict, size: { ...mlpSizeOf(stateDict, source), activation }, energySign: sign, seed: num("seed"), config, iteration: num("iteration"), metadata };
}

/** Reads `model.safetensors`. */
export async function readHybridModel(path: string): Promise<LoadedHybridModel> {
  return decodeHybridModel(await Deno.readFile(path), `'${path}'`);
}

/** Reads a model file and builds its network with the stored weights. */
export async function loadHybridNetwork(path: string): Promise<{ mlp: MlpClassifier; model: LoadedHybridModel }> {
  const model = await readHybridModel(path);
  const mlp = createMlpClassifier(model.size, 0);
  mlp.loadStateDict(model.stateDict, `'${path}'`);
  return { mlp, model };
}

/** The one upstream step with `model.safetensors`: its path and step id; clear errors for none or several. */
export function findHybridModelInput(ctx: { inputWith(file: string, what: string): { id: string; dir: string } }): { path: string; id: string } {
  const found = ctx.inputWith(HYBRID_MODEL_FILE, "Cannot find the model to evaluate");
  return { path: `${found.dir}/${HYBRID_MODEL_FILE}`, id: found.id };
}
