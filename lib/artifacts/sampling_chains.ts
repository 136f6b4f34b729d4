/**
 * `chains.safetensors`, written by `longrun-sample` / `eval-sample`: the per-chain sampling
 * records of the paper's eval.py — tensors `energy` and `grad_norm`, both F32 `[steps, chains]`:
 * f/T at the state each step started from, and the norm of the step's gradient term
 * ((ε²/2)‖∇(f/T)‖, or ‖∇(f/T)‖ for plain gradient descent at ε = 0); metadata `first_step`
 * (1) and `temperature`. The one owner of its schema, writer and reader. Long runs write it in
 * chunks (`writeChainChunk`) and join them at the end (`joinChainChunks`), so memory and disk
 * writes stay proportional to the run.
 *
 * @example
 * ```ts ignore
 * await writeChainChunk(`${work}/chains`, 0, energy, gradNorm, 500, 100);
 * await joinChainChunks(`${work}/chains`, `${out}/${CHAINS_FILE}`, { temperature: 2.8e-5 });
 * const { energy, steps, chains } = await readSamplingChains(`${out}/${CHAINS_FILE}`);
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** File name of the per-chain records in a sampling step's output. */
export const CHAINS_FILE = "chains.safetensors";

/** Per-chain records read back: row-major `[steps, chains]`. */
export interface SamplingChains {
  steps: number;
  chains: number;
  energy: Float32Array;
  gradNorm: Float32Array;
  temperature: number;
}

const chunkName = (dir: string, k: number) => `${dir}/chunk_${String(k).padStart(7, "0")}.safetensors`;

/** Writes one chunk of `steps` rows of `chains` values each (atomic; a re-run overwrites it). */
export async function writeChainChunk(dir: string, k: number, energy: Float32Array, gradNorm: Float32Array, steps: number, chains: number): Promise<void> {
  if (energy.length !== steps * chains || gradNorm.length !== steps * chains) {
    throw new Error(`Cannot write sampling chunk ${k}: expected ${steps}×${chains} values, got ${energy.length} and ${gradNorm.length}`);
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(chunkName(dir, k), encodeSafetensors({
    energy: { dtype: "F32", shape: [steps, chains], data: energy },
    grad_norm: { dtype: "F32", shape: [steps, chains], data: gradNorm },
  }));
}

/** Joins chunks 0…count−1 of `dir` into `path`; errors name a missing or mismatched chunk. */
export async function joinChainChunks(dir: string, count: number, path: string, meta: { temperature: number }): Promise<void> {
  const parts: { energy: Float32Array; gradNorm: Float32Array; steps: number }[] = [];
  let chains = -1, steps = 0;
  for (let k = 0; k < count; k++) {
    const file = chunkName(dir, k);
    const { tensors } = decodeSafetensors(await Deno.readFile(file), `'${file}'`);
    const [s, c] = tensors.energy.shape;
    if (chains >= 0 && c !== chains) throw new Error(`Cannot join sampling chunks: '${file}' has ${c} chains, earlier chunks ${chains}`);
    chains = c;
    steps += s;
    parts.push({ energy: tensors.energy.data as Float32Array, gradNorm: tensors.grad_norm.data as Float32Array, steps: s });
  }
  const energy = new Float32Array(steps * Math.max(0, chains)), gradNorm = new Float32Array(energy.length);
  let offset = 0;
  for (const p of parts) {
    energy.set(p.energy, offset);
    gradNorm.set(p.gradNorm, offset);
    offset += p.energy.length;
  }
  const shape = [steps, Math.max(0, chains)];
  await writeFileAtomic(path, encodeSafetensors({
    energy: { dtype: "F32", shape, data: energy },
    grad_norm: { dtype: "F32", shape, data: gradNorm },
  }, { first_step: "1", temperature: String(meta.temperature) }));
}

/** Reads `chains.safetensors`, checking both tensors are `[steps, chains]` F32. */
export async function readSamplingChains(path: string): Promise<SamplingChains> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  const { energy, grad_norm } = tensors;
  for (const [name, t] of [["energy", energy], ["grad_norm", grad_norm]] as const) {
    if (!t || t.dtype !== "F32" || t.shape.length !== 2) throw new Error(`Cannot read '${path}': expected tensor '${name}' F32 [steps, chains], got ${t ? `${t.dtype} [${t.shape}]` : "none"}`);
  }
  if (energy.shape.join() !== grad_norm.shape.join()) throw new Error(`Cannot read '${path}': 'energy' [${energy.shape}] and 'grad_norm' [${grad_norm.shape}] differ`);
  const temperature = Number(metadata.temperature);
  if (!Number.isFinite(temperature)) throw new Error(`Cannot read '${path}': metadata field 'temperature' is missing or not a number`);
  return { steps: energy.shape[0], chains: energy.shape[1], energy: energy.data as Float32Array, gradNorm: grad_norm.data as Float32Array, temperature };
}
