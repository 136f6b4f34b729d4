/**
 * Task `prepare-images`: the paper's flowers data. Reads the `download-flowers` step's `jpg/` and
 * `labels.json` (or, without that input, an ImageFolder-style `image_dir`), and transforms every
 * image as the paper's `ImageFolder` + `Resize(im_sz)` + `CenterCrop(im_sz)` + `ToTensor` +
 * `Normalize(0.5, 0.5)` did, with a PIL-exact resize, fanned out over the worker pool.
 * Output: `data.safetensors` (images NHWC F32 in [-1, 1]; labels I32 = flower class − 1, i.e. 0..101)
 * and `metrics.json` (count, per-channel mean/sd).
 *
 * @example
 * ```yaml
 * steps:
 *   flowers: { task: download-flowers }
 *   flowers32: { task: prepare-images, needs: [flowers], config: { im_sz: 32 } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { imageFields } from "../lib/data/image_config.ts";
import { listImageFolder } from "../lib/data/image_folder.ts";
import { writePreparedImages } from "../lib/data/prepare_images.ts";
import { readJson } from "../lib/util/fs.ts";
import type { FlowersLabels } from "../lib/data/flowers_labels.ts";

export default defineTask({
  name: "prepare-images",
  description: "Decodes and resizes Flowers 102 (or an image folder) exactly as the paper's torchvision pipeline, into one tensor file.",
  usesSeed: false,
  config: z.object({
    ...imageFields(3),
    /** Which Flowers 102 images: all 8,189 (the paper) or one official split. */
    split: z.enum(["all", "trnid", "valid", "tstid"]).default("all"),
    /** Used only when the step has no download-flowers input: an ImageFolder-style root. */
    image_dir: z.string().nullable().default(null),
  }),
  externalInputs: (config) => (config.image_dir ? [config.image_dir] : []),
  async run(ctx) {
    const c = ctx.config;
    const flowers = ctx.inputs.find((i) => i.task === "download-flowers");
    let files: string[];
    let labels: Int32Array;
    let source: string;
    if (flowers) {
      const meta = await readJson<FlowersLabels>(join(flowers.dir, "labels.json"));
      // image_%05d.jpg is the MAT-files' (1-based) order and also ImageFolder's sorted order.
      const ids = c.split === "all" ? meta.labels.map((_, i) => i + 1) : [...meta.splits[c.split]].sort((a, b) => a - b);
      files = ids.map((id) => join(flowers.dir, "jpg", `image_${String(id).padStart(5, "0")}.jpg`));
      labels = Int32Array.from(ids, (id) => meta.labels[id - 1] - 1);
      source = `flowers102:${c.split}`;
    } else if (c.image_dir) {
      if (c.split !== "all") throw new Error(`Cannot read config 'split': '${c.split}' needs a download-flowers input, got image_dir '${c.image_dir}'`);
      const listed = await listImageFolder(c.image_dir);
      files = listed.files;
      labels = listed.labels;
      source = `image-folder:${c.image_dir}`;
    } else {
      throw new Error("Cannot read config 'image_dir': the step has no download-flowers input, so an image directory is required, got null");
    }
    const n = c.limit === null ? files.length : Math.min(c.limit, files.length);
    ctx.log.info(`Preparing ${n} of ${files.length} images from ${source}`);
    await writePreparedImages(ctx, files.slice(0, n), labels.slice(0, n), {
      imSz: c.im_sz,
      imCh: c.im_ch,
      chunkSize: c.chunk_size,
      source,
      metadata: { split: c.split },
    });
  },
});
