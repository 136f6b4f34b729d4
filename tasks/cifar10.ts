/**
 * Task `cifar10`: CIFAR-10 from the binary batches, read from a local `cifar-10-binary.tar.gz` or
 * directory (`local_path`), or downloaded (resumable, MD5-verified) from `url`. Images keep their
 * 32×32 size unless `im_sz` differs (then PIL-exact Resize + CenterCrop); `im_ch` 1 uses PIL's
 * luma. Output: `data.safetensors` (images NHWC F32 in [-1, 1], labels 0..9) and `metrics.json`.
 *
 * @example
 * ```yaml
 * steps:
 *   cifar: { task: cifar10, config: { local_path: /data/cifar-10-binary.tar.gz } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { downloadFile } from "../lib/data/download.ts";
import { CIFAR_BATCHES, CIFAR_RECORD, cifarRecord, readCifarBatches } from "../lib/data/cifar.ts";
import { resizeShorterCenterCrop, rgbToGray, toSignedUnit } from "../lib/data/transform.ts";
import { saveDatasetOutput } from "../lib/data/dataset_file.ts";

export default defineTask({
  name: "cifar10",
  description: "Prepares CIFAR-10 from the binary batches (local archive/directory or download) as one [-1, 1] tensor file.",
  usesSeed: false,
  config: z.object({
    /** `cifar-10-binary.tar.gz`, or a directory holding the .bin batches; null downloads `url`. */
    local_path: z.string().nullable().default(null),
    url: z.string().url().default("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"),
    md5: z.string().regex(/^[0-9a-fA-F]{32}$/).nullable().default("c32a1d4ab5d03f1284b67883e8d87530"),
    download_dir: z.string().default("outputs/.downloads"),
    split: z.enum(["train", "test"]).default("train"),
    limit: z.number().int().min(1).nullable().default(null),
    im_sz: z.number().int().min(1).max(1024).default(32),
    im_ch: z.union([z.literal(1), z.literal(3)]).default(3),
  }),
  externalInputs: (config) => (config.local_path ? [config.local_path] : []),
  async run(ctx) {
    const c = ctx.config;
    const source = c.local_path ?? await downloadFile({
      url: c.url,
      dest: join(c.download_dir, "cifar10", "cifar-10-binary.tar.gz"),
      md5: c.md5,
      signal: ctx.signal,
      progress: (done, total) => ctx.progress.update(done, total, "bytes cifar-10-binary.tar.gz"),
      log: (m) => ctx.log.info(m),
    });
    const batches = await readCifarBatches(source, CIFAR_BATCHES[c.split]);
    const total = batches.reduce((a, b) => a + b.length / CIFAR_RECORD, 0);
    const n = c.limit === null ? total : Math.min(c.limit, total);
    const per = c.im_sz * c.im_sz * c.im_ch;
    const images = new Float32Array(n * per);
    const labels = new Int32Array(n);
    let i = 0;
    for (const batch of batches) {
      for (let r = 0; r < batch.length / CIFAR_RECORD && i < n; r++, i++) {
        const { label, rgb } = cifarRecord(batch, r);
        const pixels = c.im_ch === 1 ? rgbToGray(rgb) : rgb;
        const sized = c.im_sz === 32 ? pixels : resizeShorterCenterCrop(pixels, 32, 32, c.im_ch, c.im_sz);
        toSignedUnit(sized, images, i * per);
        labels[i] = label;
        if (i % 5000 === 4999) ctx.progress.update(i + 1, n, "images");
      }
    }
    ctx.progress.update(n, n, "images");
    ctx.log.info(`Prepared ${n} CIFAR-10 ${c.split} images at ${c.im_sz}×${c.im_sz}×${c.im_ch}`);
    await saveDatasetOutput(ctx, { images, shape: [n, c.im_sz, c.im_sz, c.im_ch], labels }, { source: `cifar10:${c.split}` });
  },
});
