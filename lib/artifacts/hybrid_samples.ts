/**
 * Image batches that the joint classifier-EBM's steps hand to the plot steps (owner: schema,
 * writer, reader): `negatives.safetensors` (training's last logged Langevin negatives) and
 * `samples.safetensors` (eval's unconditional and class-conditional samples). Each batch is an F32
 * tensor `[N, H, W, C]` (NHWC, pixels in [−1, 1], as `plot-grids` reads them); a batch may carry
 * its class per image as I32 `<name>_labels` `[N]`. Metadata: `format` ("ebm-hybrid-samples/1").
 *
 * @example
 * ```ts
 * import { readSampleBatches, writeSampleBatches } from "./hybrid_samples.ts";
 * await writeSampleBatches("out/samples.safetensors", { unconditional: { images: new Float32Array(2 * 784), shape: [2, 28, 28, 1] } });
 * const batches = await readSampleBatches("out/samples.safetensors"); // { unconditional: { images, shape } }
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** Training's last logged negatives. */
export const NEGATIVES_FILE = "negatives.safetensors";
/** Eval's samples. */
export const SAMPLES_FILE = "samples.safetensors";
const FORMAT = "ebm-hybrid-samples/1";

/** One batch of images, optionally with a class per image. */
export interface SampleBatch {
  images: Float32Array;
  shape: [number, number, number, number];
  labels?: Int32Array;
}

/** Writes named batches atomically. */
export async function writeSampleBatches(path: string, batches: Record<string, SampleBatch>): Promise<void> {
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, b] of Object.entries(batches)) {
    if (name.endsWith("_labels")) throw new Error(`Cannot write ${path}: batch name '${name}' may not end in _labels`);
    if (b.images.length !== b.shape.reduce((a, c) => a * c, 1)) throw new Error(`Cannot write ${path}: batch '${name}' has ${b.images.length} values for shape [${b.shape}]`);
    tensors[name] = { dtype: "F32", shape: b.shape, data: b.images };
    if (b.labels) {
      if (b.labels.length !== b.shape[0]) throw new Error(`Cannot write ${path}: batch '${name}' has ${b.labels.length} labels for ${b.shape[0]} images`);
      tensors[`${name}_labels`] = { dtype: "I32", shape: [b.labels.length], data: b.labels };
    }
  }
  await writeFileAtomic(path, encodeSafetensors(tensors, { format: FORMAT }));
}

/** Reads the batches written by {@link writeSampleBatches}. */
export async function readSampleBatches(path: string): Promise<Record<string, SampleBatch>> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  if (metadata.format !== FORMAT) throw new Error(`Cannot read '${path}': metadata 'format' should be '${FORMAT}', got '${metadata.format}'`);
  const out: Record<string, SampleBatch> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.endsWith("_labels")) continue;
    if (t.dtype !== "F32" || t.shape.length !== 4) throw new Error(`Cannot read '${path}': batch '${name}' should be F32 [N, H, W, C], got ${t.dtype} [${t.shape}]`);
    const labels = tensors[`${name}_labels`];
    out[name] = { images: t.data as Float32Array, shape: t.shape as [number, number, number, number], labels: labels ? (labels.data as Int32Array) : undefined };
  }
  return out;
}
