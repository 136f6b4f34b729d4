/**
 * The point-set file, `points.safetensors`: a set of low-dimensional points (the 2-D toy data of
 * `toy-2d`) that steps exchange. This module owns its schema, writer and reader:
 * - tensor `points`: F32 `[N, D]`, row-major (point i is `points[i·D … i·D + D − 1]`);
 * - metadata (strings): `dataset` (the generator's name), `count` (= N), `dim` (= D), plus any
 *   extras the writer passes (`seed`, …).
 *
 * Image datasets have their own file (`dataset_file.ts`, square images only).
 *
 * @example
 * ```ts
 * import { readPointSet, writePointSet } from "./point_set_file.ts";
 * const dir = await Deno.makeTempDir();
 * await writePointSet(`${dir}/points.safetensors`, { points: new Float32Array([0, 1, 2, 3]), dim: 2, dataset: "demo" });
 * const set = await readPointSet(`${dir}/points.safetensors`);
 * console.log(set.count, set.dataset); // 2 "demo"
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { fileLookups, type StepInput } from "../task.ts";

/** File name of a point set inside a step's output directory. */
export const POINT_SET_FILE = "points.safetensors";
/** File name of a sampler's points (a point set too; VERA's generator, persistent chains). */
export const SAMPLES_FILE = "samples.safetensors";

/** A point set in memory. */
export interface PointSet {
  /** `[N, D]` row-major float32. */
  points: Float32Array;
  /** D, the dimension of each point. */
  dim: number;
  /** Name of the distribution the points came from. */
  dataset: string;
}

/** A point set as read back, with its count and every metadata string. */
export interface StoredPointSet extends PointSet {
  count: number;
  metadata: Record<string, string>;
}

/** Writes `set` to `path` atomically; `metadata` extras must not use the keys the schema owns. */
export async function writePointSet(path: string, set: PointSet, metadata: Record<string, string> = {}): Promise<void> {
  const { points, dim, dataset } = set;
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`Cannot write point set '${path}': expected a positive whole dimension, got ${dim}`);
  if (points.length % dim !== 0) throw new Error(`Cannot write point set '${path}': ${points.length} values are not a whole number of ${dim}-D points`);
  for (const key of ["dataset", "count", "dim"]) {
    if (key in metadata) throw new Error(`Cannot write point set '${path}': metadata key '${key}' is set from the points`);
  }
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) throw new Error(`Cannot write point set '${path}': value ${i} is ${points[i]}`);
  }
  const count = points.length / dim;
  const bytes = encodeSafetensors(
    { points: { dtype: "F32", shape: [count, dim], data: points } },
    { ...metadata, dataset, count: String(count), dim: String(dim) },
  );
  await writeFileAtomic(path, bytes);
}

/** Reads a point set written by {@link writePointSet}; errors name the file and the field. */
export async function readPointSet(path: string): Promise<StoredPointSet> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  const t = tensors.points;
  if (!t || t.dtype !== "F32" || t.shape.length !== 2) {
    throw new Error(`Cannot read point set '${path}': expected tensor 'points' F32 [N, D], got ${t ? `${t.dtype} [${t.shape}]` : "none"}`);
  }
  const [count, dim] = t.shape;
  if (typeof metadata.dataset !== "string" || metadata.dataset === "") {
    throw new Error(`Cannot read point set '${path}': metadata field 'dataset' is missing`);
  }
  if (metadata.count !== String(count) || metadata.dim !== String(dim)) {
    throw new Error(`Cannot read point set '${path}': metadata says count ${metadata.count}, dim ${metadata.dim} but 'points' is [${t.shape}]`);
  }
  return { points: t.data as Float32Array, dim, count, dataset: metadata.dataset, metadata };
}

/**
 * Path of `points.safetensors` of the one upstream input that has it (the task context's
 * `inputWith` lookup, for callers holding only the inputs); errors for none or several.
 */
export function findPointSetInput(inputs: StepInput[]): string {
  const input = fileLookups(inputs).inputWith(POINT_SET_FILE, "Cannot find the training points", "add a toy-2d step to 'needs'");
  return `${input.dir}/${POINT_SET_FILE}`;
}
