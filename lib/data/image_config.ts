/**
 * Config fields shared by the image data tasks (zod), with the paper's defaults.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { imageFields } from "./image_config.ts";
 * const schema = z.object({ ...imageFields(3), image_dir: z.string() });
 * ```
 * @module
 */
import { z } from "zod";

/** `im_sz` (default 32), `im_ch` (1 or 3, default `channels`), `limit` (first N images, null = all), `chunk_size`. */
export function imageFields(channels: 1 | 3) {
  return {
    /** Height and width of the square output images. */
    im_sz: z.number().int().min(1).max(4096).default(32),
    /** 3 = RGB as ImageFolder's convert("RGB"); 1 = PIL convert("L"). */
    im_ch: z.union([z.literal(1), z.literal(3)]).default(channels),
    /** Keep only the first `limit` images (in dataset order); null keeps all. */
    limit: z.number().int().min(1).nullable().default(null),
    /** Images per worker-pool task. */
    chunk_size: z.number().int().min(1).default(64),
  };
}
