/**
 * Task `download-flowers`: the Oxford Flowers 102 files (`102flowers.tgz`, `imagelabels.mat`,
 * `setid.mat`) from the VGG site, a `mirror`, or an already-downloaded copy in `local_path`.
 * Downloads stream with progress into `download_dir` (persistent across runs, so a cut download
 * resumes with HTTP Range), are MD5-verified, then the archive is extracted safely and the labels
 * and splits are read from the MAT-files.
 *
 * Output: `jpg/image_00001.jpg …` and `labels.json` (`labels` 1..102 per image, `splits`
 * {trnid, valid, tstid} as 1-based ids); metrics `count`, `classes`, split sizes.
 *
 * @example
 * ```yaml
 * steps:
 *   flowers: { task: download-flowers }
 *   # or, offline: { task: download-flowers, config: { local_path: /data/flowers102 } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { downloadFile, verifyMd5 } from "../lib/data/download.ts";
import { extractTarGz } from "../lib/data/extract_tgz.ts";
import { readFlowersLabels } from "../lib/data/flowers_labels.ts";
import { exists, writeJsonAtomic } from "../lib/util/fs.ts";

const md5 = z.string().regex(/^[0-9a-fA-F]{32}$/, "expected 32 hex digits").nullable();

export default defineTask({
  name: "download-flowers",
  description: "Downloads (resumably, md5-verified) and safely extracts Oxford Flowers 102 with its labels and splits.",
  usesSeed: false,
  config: z.object({
    /** Base URL holding the three files. */
    mirror: z.string().url().default("https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"),
    /** A directory that already holds the three files; no network is used then. */
    local_path: z.string().nullable().default(null),
    /** Where downloads (and their `.part` files) persist between runs; relative to the cwd. */
    download_dir: z.string().default("outputs/.downloads"),
    md5_images: md5.default("52808999861908f626f3c1f4e79d11fa"),
    md5_labels: md5.default("e0620be6f572b9609742df49c70aed4d"),
    md5_setid: md5.default("a5357ecc9cb78c4bef273ce3793fc85c"),
    /** Extra attempts per file after a broken connection, each resuming. */
    retries: z.number().int().min(0).default(3),
  }),
  externalInputs: (config) => (config.local_path ? [config.local_path] : []),
  async run(ctx) {
    const c = ctx.config;
    const files = [
      ["102flowers.tgz", c.md5_images],
      ["imagelabels.mat", c.md5_labels],
      ["setid.mat", c.md5_setid],
    ] as const;
    const paths: Record<string, string> = {};
    for (const [name, sum] of files) {
      if (c.local_path) {
        const path = join(c.local_path, name);
        if (!(await exists(path))) throw new Error(`Cannot read config 'local_path': '${path}' does not exist`);
        // A user's own copy is never deleted, only reported.
        await verifyMd5(path, sum, false);
        paths[name] = path;
      } else {
        const url = new URL(name, c.mirror.endsWith("/") ? c.mirror : `${c.mirror}/`).href;
        paths[name] = await downloadFile({
          url,
          dest: join(c.download_dir, "flowers102", name),
          md5: sum,
          retries: c.retries,
          signal: ctx.signal,
          progress: (done, total) => ctx.progress.update(done, total, `bytes ${name}`),
          log: (m) => ctx.log.info(m),
        }).catch((e: Error) => {
          if (ctx.signal.aborted || !e.message.startsWith("Cannot download")) throw e;
          throw new Error(
            `${e.message}. If ${new URL(url).host} cannot be reached from here, set this step's config 'mirror' to another ` +
              `URL holding the three files, or 'local_path' to a directory with 102flowers.tgz, imagelabels.mat and setid.mat ` +
              `(e.g. deno task pipeline <name> --set local_path=/data/flowers102)`,
          );
        });
      }
      ctx.log.info(`${name}: ${paths[name]}${sum ? " (md5 ok)" : " (md5 not checked)"}`);
    }
    const { labels, splits } = await readFlowersLabels(paths["imagelabels.mat"], paths["setid.mat"]);

    const staging = join(ctx.outDir, `.extract-${crypto.randomUUID().slice(0, 8)}`);
    const { files: count } = await extractTarGz(paths["102flowers.tgz"], staging, {
      signal: ctx.signal,
      onFile: (n) => {
        if (n % 500 === 0) ctx.progress.update(n, labels.length, "extracted files");
      },
    });
    try {
      const jpgDir = join(staging, "jpg");
      if (!(await exists(jpgDir))) throw new Error(`Cannot use '${paths["102flowers.tgz"]}': it has no 'jpg/' directory`);
      const jpgs: string[] = [];
      for await (const e of Deno.readDir(jpgDir)) if (e.isFile && e.name.toLowerCase().endsWith(".jpg")) jpgs.push(e.name);
      if (jpgs.length !== labels.length) {
        throw new Error(`Cannot use '${paths["102flowers.tgz"]}': ${jpgs.length} jpg files but imagelabels.mat has ${labels.length} labels`);
      }
      await Deno.rename(jpgDir, join(ctx.outDir, "jpg"));
    } finally {
      await Deno.remove(staging, { recursive: true }).catch(() => {});
    }
    ctx.progress.update(count, count, "extracted files");
    await writeJsonAtomic(join(ctx.outDir, "labels.json"), { labels, splits });
    await ctx.writeMetrics({
      count: labels.length,
      classes: new Set(labels).size,
      trnid: splits.trnid.length,
      valid: splits.valid.length,
      tstid: splits.tstid.length,
    });
  },
});
