/**
 * The prepared image dataset file, `data.safetensors`, shared by every data task and read by the
 * training tasks:
 * - tensor `images`: F32 `[N, H, W, C]` (NHWC), pixels in [-1, 1] (`(v/255 − 0.5)/0.5`, i.e.
 *   torchvision ToTensor + Normalize(0.5, 0.5));
 * - tensor `labels`: I32 `[N]`, 0-based class indices, only when the source has labels;
 * - metadata (strings): `source`, `im_sz`, `im_ch`, `count`, plus any task-specific extras.
 *
 * @example
 * ```ts
 * import { readImageDataset, writeImageDataset } from "./dataset_file.ts";
 * await writeImageDataset("out/data.safetensors", { images: new Float32Array(2 * 4 * 4), shape: [2, 4, 4, 1], labels: new Int32Array([0, 1]) }, { source: "demo" });
 * const { images, shape, labels, metadata } = await readImageDataset("out/data.safetensors");
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** File name of a prepared dataset inside a step's output directory. */
export const DATASET_FILE = "data.safetensors";

/** An image dataset in memory. */
export interface ImageDataset {
  /** NHWC float32 pixels in [-1, 1]. */
  images: Float32Array;
  /** `[N, H, W, C]`. */
  shape: [number, number, number, number];
  /** 0-based class per image, when known. */
  labels?: Int32Array;
}

/** Per-channel mean and standard deviation (population) of the [-1, 1] pixels, plus the count. */
export function datasetStats(dataset: ImageDataset): Record<string, number> {
  const [n, h, w, c] = dataset.shape;
  const sum = new Float64Array(c), sumSq = new Float64Array(c);
  const { images } = dataset;
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    sum[i % c] += v;
    sumSq[i % c] += v * v;
  }
  const perChannel = n * h * w;
  const stats: Record<string, number> = { count: n };
  for (let k = 0; k < c; k++) {
    const mean = perChannel ? sum[k] / perChannel : 0;
    stats[`mean_c${k}`] = mean;
    stats[`sd_c${k}`] = perChannel ? Math.sqrt(Math.max(0, sumSq[k] / perChannel - mean * mean)) : 0;
  }
  return stats;
}

function check(dataset: ImageDataset, where: string): void {
  const { shape, images, labels } = dataset;
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`Cannot write ${where}: expected shape [N, H, W, C] of whole numbers, got [${shape}]`);
  }
  if (shape[1] !== shape[2]) throw new Error(`Cannot write ${where}: expected square images, got ${shape[1]}×${shape[2]}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (images.length !== count) throw new Error(`Cannot write ${where}: shape [${shape}] needs ${count} values, got ${images.length}`);
  if (labels && labels.length !== shape[0]) throw new Error(`Cannot write ${where}: ${shape[0]} images but ${labels.length} labels`);
}

/**
 * Writes `dataset` to `path` atomically. `metadata` is merged over the standard keys
 * (`im_sz`, `im_ch`, `count` are always taken from the shape).
 */
export async function writeImageDataset(path: string, dataset: ImageDataset, metadata: Record<string, string> = {}): Promise<void> {
  check(dataset, `'${path}'`);
  const [n, h, , c] = dataset.shape;
  const tensors: Record<string, NamedTensor> = { images: { dtype: "F32", shape: [...dataset.shape], data: dataset.images } };
  if (dataset.labels) tensors.labels = { dtype: "I32", shape: [n], data: dataset.labels };
  const meta = { source: "unknown", ...metadata, im_sz: String(h), im_ch: String(c), count: String(n) };
  await writeFileAtomic(path, encodeSafetensors(tensors, meta));
}

/** Reads a dataset written by {@link writeImageDataset}, checking its layout. */
export async function readImageDataset(path: string): Promise<ImageDataset & { metadata: Record<string, string> }> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  const images = tensors.images;
  if (!images || images.dtype !== "F32" || images.shape.length !== 4) {
    throw new Error(`Cannot read dataset '${path}': expected tensor 'images' F32 [N, H, W, C], got ${images ? `${images.dtype} [${images.shape}]` : "none"}`);
  }
  const labels = tensors.labels;
  if (labels && (labels.dtype !== "I32" || labels.shape.length !== 1 || labels.shape[0] !== images.shape[0])) {
    throw new Error(`Cannot read dataset '${path}': expected tensor 'labels' I32 [${images.shape[0]}], got ${labels.dtype} [${labels.shape}]`);
  }
  return {
    images: images.data as Float32Array,
    shape: images.shape as [number, number, number, number],
    labels: labels ? (labels.data as Int32Array) : undefined,
    metadata,
  };
}

/**
 * Writes `data.safetensors` and `metrics.json` (count and per-channel mean/sd) for a task.
 * Returns the metrics.
 */
export async function saveDatasetOutput(
  ctx: { outDir: string; writeMetrics(m: Record<string, number | string | boolean | null>): Promise<void> },
  dataset: ImageDataset,
  metadata: Record<string, string>,
): Promise<Record<string, number>> {
  await writeImageDataset(`${ctx.outDir}/${DATASET_FILE}`, dataset, metadata);
  const stats = datasetStats(dataset);
  // The source label goes into the metrics too, so the lock file and the report say what the data was.
  await ctx.writeMetrics({ ...stats, im_sz: dataset.shape[1], im_ch: dataset.shape[3], ...(metadata.source ? { source: metadata.source } : {}) });
  return stats;
}
