/**
 * Task `image-folder`: any directory tree of JPEG/PNG images, listed like torchvision's
 * ImageFolder (class = top-level sub-directory, sorted paths), decoded with sharp and transformed
 * as the paper did (PIL-exact Resize of the shorter side → CenterCrop → [-1, 1]) on the worker
 * pool. Output: `data.safetensors` (images NHWC F32, labels I32 = class index) and `metrics.json`.
 *
 * @example
 * ```yaml
 * steps:
 *   faces: { task: image-folder, config: { image_dir: /data/faces, im_sz: 64 } }
 * ```
 * @module
 */
import { z } from "zod";
import { defineTask } from "../lib/task.ts";
import { imageFields } from "../lib/data/image_config.ts";
import { listImageFolder } from "../lib/data/image_folder.ts";
import { writePreparedImages } from "../lib/data/prepare_images.ts";

export default defineTask({
  name: "image-folder",
  description: "Prepares any directory tree of JPEG/PNG images (ImageFolder order) as one [-1, 1] tensor file.",
  usesSeed: false,
  config: z.object({
    /** Root whose sub-directories are the classes. */
    image_dir: z.string().min(1),
    ...imageFields(3),
  }),
  externalInputs: (config) => [config.image_dir],
  async run(ctx) {
    const c = ctx.config;
    const listed = await listImageFolder(c.image_dir);
    const n = c.limit === null ? listed.files.length : Math.min(c.limit, listed.files.length);
    ctx.log.info(`Found ${listed.files.length} images in ${listed.classes.length} classes under ${c.image_dir}; using ${n}`);
    await writePreparedImages(ctx, listed.files.slice(0, n), listed.labels.slice(0, n), {
      imSz: c.im_sz,
      imCh: c.im_ch,
      chunkSize: c.chunk_size,
      source: `image-folder:${c.image_dir}`,
      metadata: { classes: JSON.stringify(listed.classes) },
    });
  },
});
