/**
 * Pool worker module: decodes image files with sharp and applies the paper's transform
 * (Resize shorter side → CenterCrop → [-1, 1]) to a chunk of files. Runs on `ctx.pool` threads.
 *
 * @example
 * ```ts ignore
 * const url = new URL("./image_worker.ts", import.meta.url);
 * const { pixels } = await pool.run<ChunkResult>(url, "prepareChunk", { paths, imSz: 32, imCh: 3 });
 * ```
 * @module
 */
import { decodeImage } from "./decode.ts";
import { resizeShorterCenterCrop, toSignedUnit } from "./transform.ts";

/** Argument of {@link prepareChunk}. */
export interface ChunkRequest {
  paths: string[];
  imSz: number;
  imCh: 1 | 3;
}

/** Result of {@link prepareChunk}: NHWC float32 pixels of the chunk, in input order. */
export interface ChunkResult {
  pixels: Float32Array;
}

/** Decodes and transforms every file of the chunk. */
export async function prepareChunk({ paths, imSz, imCh }: ChunkRequest): Promise<ChunkResult> {
  const per = imSz * imSz * imCh;
  const pixels = new Float32Array(paths.length * per);
  for (let i = 0; i < paths.length; i++) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(paths[i]);
    } catch (e) {
      throw new Error(`Cannot read image '${paths[i]}': ${(e as Error).message}`);
    }
    const img = await decodeImage(bytes, imCh, paths[i]);
    const square = resizeShorterCenterCrop(img.data, img.width, img.height, imCh, imSz);
    toSignedUnit(square, pixels, i * per);
  }
  return { pixels };
}
