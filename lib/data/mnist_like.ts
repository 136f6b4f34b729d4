/**
 * Shared implementation of the `mnist` and `fashion-mnist` tasks: IDX files from a local directory
 * (plain or .gz) or downloaded (resumable, MD5-verified) from the dataset's canonical URL, then
 * each 28×28 image is resized to `im_sz` with PIL-exact bilinear (the paper's MNIST used
 * torchvision `Resize(32)`) or zero-padded, and written as the standard dataset file.
 *
 * @example
 * ```ts
 * import { mnistLikeSchema, runMnistLike, FASHION_MNIST } from "./mnist_like.ts";
 * const schema = mnistLikeSchema(FASHION_MNIST);
 * // in a task: run: (ctx) => runMnistLike(ctx, FASHION_MNIST)
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import type { TaskContext } from "../task.ts";
import { exists } from "../util/fs.ts";
import { downloadFile } from "./download.ts";
import { parseIdx } from "./idx.ts";
import { resizeShorterCenterCrop, toSignedUnit } from "./transform.ts";
import { saveDatasetOutput } from "./dataset_file.ts";

/** A dataset of the MNIST family: where it lives and the MD5 sums of its published .gz files. */
export interface MnistFamily {
  name: string;
  mirror: string;
  defaultLocalPath: string | null;
  md5: Record<string, string>;
}

/** Fashion-MNIST (Zalando); Debian's dataset-fashion-mnist re-compresses the .gz files, so local copies are not MD5-checked. */
export const FASHION_MNIST: MnistFamily = {
  name: "fashion-mnist",
  mirror: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
  defaultLocalPath: "/usr/share/datasets/fashion-mnist/",
  md5: {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
  },
};

/** MNIST, from the mirror torchvision uses (the original site throttles). */
export const MNIST: MnistFamily = {
  name: "mnist",
  mirror: "https://ossci-datasets.s3.amazonaws.com/mnist/",
  defaultLocalPath: null,
  md5: {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
  },
};

/** The config schema of a MNIST-family task. */
export function mnistLikeSchema(family: MnistFamily) {
  return z.object({
    /** Directory with the IDX files (plain or .gz); null downloads from `mirror`. */
    local_path: z.string().nullable().default(family.defaultLocalPath),
    mirror: z.string().url().default(family.mirror),
    download_dir: z.string().default("outputs/.downloads"),
    /** Check downloads against the published MD5 sums. */
    verify_md5: z.boolean().default(true),
    split: z.enum(["train", "test"]).default("train"),
    /** Keep the first `limit` images; null keeps all. */
    limit: z.number().int().min(1).nullable().default(null),
    im_sz: z.number().int().min(1).max(1024).default(32),
    /** 1 (the images are grayscale); 3 replicates the channel for RGB networks. */
    im_ch: z.union([z.literal(1), z.literal(3)]).default(1),
    /** "resize": PIL-exact bilinear Resize(im_sz) (the paper's MNIST); "pad": zero-pad 28 → im_sz. */
    fit: z.enum(["resize", "pad"]).default("resize"),
  });
}

/** Config of a MNIST-family task. */
export type MnistLikeConfig = z.output<ReturnType<typeof mnistLikeSchema>>;

async function locate(ctx: TaskContext<MnistLikeConfig>, family: MnistFamily, base: string): Promise<string> {
  const c = ctx.config;
  if (c.local_path) {
    for (const name of [`${base}.gz`, base]) {
      const path = join(c.local_path, name);
      if (await exists(path)) return path;
    }
    throw new Error(`Cannot read config 'local_path': neither '${base}.gz' nor '${base}' is in '${c.local_path}'`);
  }
  const name = `${base}.gz`;
  return await downloadFile({
    url: new URL(name, c.mirror.endsWith("/") ? c.mirror : `${c.mirror}/`).href,
    dest: join(c.download_dir, family.name, name),
    md5: c.verify_md5 ? family.md5[name] ?? null : null,
    signal: ctx.signal,
    progress: (done, total) => ctx.progress.update(done, total, `bytes ${name}`),
    log: (m) => ctx.log.info(m),
  });
}

/** Runs a MNIST-family task. */
export async function runMnistLike(ctx: TaskContext<MnistLikeConfig>, family: MnistFamily): Promise<void> {
  const c = ctx.config;
  const prefix = c.split === "train" ? "train" : "t10k";
  const imagesPath = await locate(ctx, family, `${prefix}-images-idx3-ubyte`);
  const labelsPath = await locate(ctx, family, `${prefix}-labels-idx1-ubyte`);
  const images = parseIdx(await Deno.readFile(imagesPath), imagesPath);
  const labels = parseIdx(await Deno.readFile(labelsPath), labelsPath);
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`Cannot use '${imagesPath}' with '${labelsPath}': expected [N, H, W] images and [N] labels, got [${images.dims}] and [${labels.dims}]`);
  }
  const [total, h, w] = images.dims;
  const n = c.limit === null ? total : Math.min(c.limit, total);
  const size = c.im_sz;
  if (c.fit === "pad" && (size < h || size < w)) throw new Error(`Cannot read config 'im_sz': padding needs at least ${Math.max(h, w)}, got ${size}`);
  const perOut = size * size * c.im_ch;
  const out = new Float32Array(n * perOut);
  const square = new Uint8Array(size * size);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const img = images.data.subarray(i * h * w, (i + 1) * h * w);
    let pixels: Uint8Array;
    if (c.fit === "resize") {
      pixels = resizeShorterCenterCrop(img, w, h, 1, size);
    } else {
      square.fill(0);
      const top = Math.floor((size - h) / 2), left = Math.floor((size - w) / 2);
      for (let y = 0; y < h; y++) square.set(img.subarray(y * w, (y + 1) * w), (top + y) * size + left);
      pixels = square;
    }
    if (c.im_ch === 1) {
      toSignedUnit(pixels, out, i * perOut);
    } else {
      const one = toSignedUnit(pixels);
      for (let p = 0; p < one.length; p++) out[i * perOut + 3 * p] = out[i * perOut + 3 * p + 1] = out[i * perOut + 3 * p + 2] = one[p];
    }
    if (i % 5000 === 4999) ctx.progress.update(i + 1, n, "images");
  }
  ctx.progress.update(n, n, "images");
  ctx.log.info(`Prepared ${n} ${family.name} ${c.split} images at ${size}×${size}×${c.im_ch} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await saveDatasetOutput(
    ctx,
    { images: out, shape: [n, size, size, c.im_ch], labels: Int32Array.from(labels.data.subarray(0, n)) },
    { source: `${family.name}:${c.split}`, fit: c.fit },
  );
}
