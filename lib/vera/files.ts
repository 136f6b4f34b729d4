/**
 * `generator.safetensors`, written by the VERA training steps: owner of its schema, writer and
 * reader. Tensors: the seed's `VERAGenerator.state_dict()` (`g.<module>.weight/bias`, BatchNorm
 * `running_mean`/`running_var`, `logsigma` [1], `post_logsigma` [noise_dim], `stepsize` [1]),
 * float32 in torch layouts. Metadata: `arch` (JSON of {@link GeneratorArch}), `seed`, `config`.
 *
 * @example
 * ```ts ignore
 * await writeGeneratorFile(`${dir}/generator.safetensors`, gen, { seed: 1, config });
 * const { arch, stateDict } = await readGeneratorFile(`${dir}/generator.safetensors`);
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import type { GeneratorArch } from "../nets/generator.ts";
import type { StateDict } from "../nets/net.ts";
import type { VeraGenerator } from "./generator.ts";

/** The file name the VERA steps write their generator under. */
export const GENERATOR_FILE = "generator.safetensors";

/** Writes the generator's state with its architecture. */
export async function writeGeneratorFile(path: string, gen: VeraGenerator, meta: { seed: number; config: unknown }): Promise<void> {
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(gen.stateDict())) tensors[k] = { dtype: "F32", shape: v.shape, data: v.data };
  await writeFileAtomic(path, encodeSafetensors(tensors, { arch: JSON.stringify(gen.arch), seed: String(meta.seed), config: JSON.stringify(meta.config) }));
}

/** Reads a generator file: its architecture and state (load with `new VeraGenerator(arch, …).loadStateDict(stateDict)`). */
export async function readGeneratorFile(path: string): Promise<{ arch: GeneratorArch; stateDict: StateDict; seed: number | null }> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  let arch: GeneratorArch;
  try {
    arch = JSON.parse(metadata.arch ?? "");
  } catch {
    throw new Error(`Cannot read '${path}': metadata field 'arch' is missing or not valid JSON`);
  }
  for (const f of ["noiseDim", "dataDim"] as const) {
    if (!Number.isInteger(arch[f])) throw new Error(`Cannot read '${path}': metadata 'arch' has no whole number '${f}'`);
  }
  const stateDict: StateDict = {};
  for (const [k, v] of Object.entries(tensors)) {
    if (v.dtype !== "F32") throw new Error(`Cannot read '${path}': tensor '${k}' is ${v.dtype}, expected F32`);
    stateDict[k] = { shape: v.shape, data: v.data as Float32Array };
  }
  return { arch, stateDict, seed: metadata.seed !== undefined ? Number(metadata.seed) : null };
}
