/**
 * Fans image decoding + transform out over the worker pool in chunks, in order, with progress,
 * and assembles one NHWC float32 tensor.
 *
 * @example
 * ```ts ignore
 * import { prepareImageFiles } from "./prepare_images.ts";
 * const images = await prepareImageFiles(ctx, ["a.jpg", "b.png"], { imSz: 32, imCh: 3 });
 * ```
 * @module
 */
import type { Progress } from "../task.ts";
import type { WorkerPool } from "../pool/pool.ts";
import type { ChunkRequest, ChunkResult } from "./image_worker.ts";
import { saveDatasetOutput } from "./dataset_file.ts";

const WORKER = new URL("./image_worker.ts", import.meta.url);

/** Options of {@link prepareImageFiles}. */
export interface PrepareOptions {
  imSz: number;
  imCh: 1 | 3;
  /** Files per pool task (default 64): big enough to amortise messaging, small enough to balance. */
  chunkSize?: number;
}

/** Decodes and transforms `paths` into `[N, imSz, imSz, imCh]` float32 pixels in [-1, 1]. */
export async function prepareImageFiles(
  ctx: { pool: WorkerPool; progress: Progress; signal: AbortSignal },
  paths: string[],
  options: PrepareOptions,
): Promise<Float32Array> {
  const { imSz, imCh } = options;
  const chunkSize = options.chunkSize ?? 64;
  const per = imSz * imSz * imCh;
  const out = new Float32Array(paths.length * per);
  let done = 0;
  ctx.progress.update(0, paths.length, "images");
  const jobs: Promise<void>[] = [];
  for (let start = 0; start < paths.length; start += chunkSize) {
    const chunk = paths.slice(start, start + chunkSize);
    const request: ChunkRequest = { paths: chunk, imSz, imCh };
    jobs.push(
      ctx.pool.run<ChunkResult>(WORKER, "prepareChunk", request).then(({ pixels }) => {
        ctx.signal.throwIfAborted();
        out.set(pixels, start * per);
        done += chunk.length;
        ctx.progress.update(done, paths.length, "images");
      }),
    );
  }
  await Promise.all(jobs);
  return out;
}

/**
 * Prepares `files` and writes the task output (`data.safetensors` + `metrics.json`); logs the
 * count and rate. Returns the metrics.
 */
export async function writePreparedImages(
  ctx: {
    pool: WorkerPool;
    progress: Progress;
    signal: AbortSignal;
    outDir: string;
    log: { info(m: string): void };
    writeMetrics(m: Record<string, number | string | boolean | null>): Promise<void>;
  },
  files: string[],
  labels: Int32Array | undefined,
  options: PrepareOptions & { source: string; metadata?: Record<string, string> },
): Promise<Record<string, number>> {
  const started = performance.now();
  const images = await prepareImageFiles(ctx, files, options);
  const seconds = (performance.now() - started) / 1000;
  ctx.log.info(`Prepared ${files.length} images at ${options.imSz}×${options.imSz}×${options.imCh} in ${seconds.toFixed(1)} s on ${ctx.pool.size} threads`);
  return await saveDatasetOutput(ctx, { images, shape: [files.length, options.imSz, options.imSz, options.imCh], labels }, {
    source: options.source,
    ...options.metadata,
  });
}
