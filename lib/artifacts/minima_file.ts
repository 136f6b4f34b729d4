/**
 * `minima.safetensors`, written by `metastable-search` and read by `basin-cluster` and
 * `plot-basins`: owner of its schema, writer and reader. Tensors: `minima` [n, …state shape]
 * F32 (one metastable state per row), `energies` [n] F32, `steps` [n] I32 (search steps taken);
 * metadata `task`, `seed`. A missing tensor, or `energies` not one per minimum, is an error naming
 * the file and the tensor.
 *
 * @example
 * ```ts ignore
 * import { readMinimaFile, writeMinimaFile } from "./minima_file.ts";
 * await writeMinimaFile("out/minima.safetensors", { minima, energies, steps, stateShape: [32, 32, 1] }, 7);
 * const { rows, energies, stateShape } = await readMinimaFile("out/minima.safetensors");
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** The file name `metastable-search` writes. */
export const MINIMA_FILE = "minima.safetensors";

/** What the file holds: n states of `stateShape`, flat, with their energies and search steps. */
export interface MinimaContent {
  minima: Float32Array;
  energies: Float32Array;
  steps: Int32Array;
  stateShape: number[];
}

/**
 * Writes the minima atomically (`seed`: the search step's seed, kept as metadata).
 *
 * @example
 * ```ts ignore
 * await writeMinimaFile(join(ctx.outDir, MINIMA_FILE), content, ctx.seed);
 * ```
 */
export async function writeMinimaFile(path: string, c: MinimaContent, seed: number): Promise<void> {
  const n = c.energies.length;
  await writeFileAtomic(path, encodeSafetensors(
    { minima: { dtype: "F32", shape: [n, ...c.stateShape], data: c.minima }, energies: { dtype: "F32", shape: [n], data: c.energies }, steps: { dtype: "I32", shape: [n], data: c.steps } },
    { task: "metastable-search", seed: String(seed) },
  ));
}

/**
 * Reads the minima: the states one array per row, their energies, and the state shape.
 *
 * @example
 * ```ts ignore
 * const { rows, energies } = await readMinimaFile("outputs/adelm-wells/search/minima.safetensors");
 * ```
 */
export async function readMinimaFile(path: string): Promise<{ rows: Float32Array[]; energies: number[]; stateShape: number[] }> {
  const { tensors } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  for (const name of ["minima", "energies"]) {
    if (!tensors[name]) throw new Error(`Cannot read '${path}': tensor '${name}' is missing (expected 'minima' and 'energies')`);
  }
  const minima = tensors.minima, n = minima.shape[0] ?? 0;
  if (minima.dtype !== "F32") throw new Error(`Cannot read '${path}': tensor 'minima' must be F32, got ${minima.dtype}`);
  if (tensors.energies.data.length !== n) {
    throw new Error(`Cannot read '${path}': tensor 'energies' must hold one energy per minimum (${n}), got ${tensors.energies.data.length}`);
  }
  const row = n === 0 ? 0 : minima.data.length / n, flat = minima.data as Float32Array;
  return {
    rows: Array.from({ length: n }, (_, i) => flat.slice(i * row, (i + 1) * row)),
    energies: Array.from(tensors.energies.data as Float32Array),
    stateShape: minima.shape.slice(1),
  };
}
