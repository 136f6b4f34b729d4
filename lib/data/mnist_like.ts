/**
 * Shared implementation of the `mnist` and `fashion-mnist` tasks: IDX files from the first source
 * this machine has of those the config allows (a local directory, the system package's copy, a
 * resumable MD5-verified download, the embedded sample: see `idx_source.ts`), then
 * each 28×28 image is resized to `im_sz` with PIL-exact bilinear (the paper's MNIST used
 * torchvision `Resize(32)`) or zero-padded, and written as the standard dataset file.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST, mnistLikeSchema, resolveMnistLikeInputs, runMnistLike } from "./mnist_like.ts";
 * const schema = mnistLikeSchema(FASHION_MNIST);
 * // in a task: resolveInputs: (config) => resolveMnistLikeInputs(FASHION_MNIST, config),
 * //           run: (ctx) => runMnistLike(ctx, FASHION_MNIST)
 * ```
 * @module
 */
import { z } from "zod";
import { basename, join } from "node:path";
import type { TaskContext } from "../task.ts";
import { exists } from "../util/fs.ts";
import { downloadFile, verifyMd5 } from "./download.ts";
import { idxNames, type MnistFamily, planSource, type SourceChoice, sourceSchema } from "./idx_source.ts";
import { parseIdx } from "./idx.ts";
import { resizeShorterCenterCrop, toSignedUnit } from "./transform.ts";
import { saveDatasetOutput } from "./dataset_file.ts";

export { FASHION_MNIST, MNIST, type MnistFamily } from "./idx_source.ts";

/** The config schema of a MNIST-family task (the source fields: see `idx_source.ts`). */
export function mnistLikeSchema(family: MnistFamily) {
  return z.object({
    ...sourceSchema(family),
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

/** The `resolveInputs` of a MNIST-family task: the chosen source's paths, or a plan-time error. */
export async function resolveMnistLikeInputs(family: MnistFamily, config: MnistLikeConfig): Promise<string[]> {
  return (await planSource(family, config, config.split)).inputs;
}

/** The path of IDX file `base` (plain or .gz) for the chosen source, downloading it if that is the source. */
async function locate(ctx: TaskContext<MnistLikeConfig>, family: MnistFamily, choice: SourceChoice, base: string): Promise<string> {
  const c = ctx.config;
  if (choice.dir !== null) {
    for (const name of [`${base}.gz`, base]) {
      const path = join(choice.dir, name);
      if (await exists(path)) return path;
    }
    throw new Error(`Cannot read '${choice.dir}': neither '${base}.gz' nor '${base}' is there`);
  }
  const name = `${base}.gz`;
  return await downloadFile({
    url: new URL(name, c.mirror.endsWith("/") ? c.mirror : `${c.mirror}/`).href,
    dest: join(c.download_dir, family.name, name),
    md5: c.verify_md5 ? family.md5[name] ?? null : null,
    connectTimeoutMs: c.connect_timeout_s * 1000,
    signal: ctx.signal,
    progress: (done, total) => ctx.progress.update(done, total, `bytes ${name}`),
    log: (m) => ctx.log.info(m),
  });
}

/** Runs a MNIST-family task. */
export async function runMnistLike(ctx: TaskContext<MnistLikeConfig>, family: MnistFamily): Promise<void> {
  const c = ctx.config;
  const choice = await planSource(family, c, c.split);
  ctx.log.info(choice.why);
  const names = idxNames(choice.kind === "embedded" ? "test" : c.split);
  const imagesPath = await locate(ctx, family, choice, names[0]);
  const labelsPath = await locate(ctx, family, choice, names[1]);
  if (choice.kind === "embedded") {
    for (const path of [imagesPath, labelsPath]) await verifyMd5(path, family.md5[basename(path)] ?? null, false, `the embedded sample '${path}'`);
  }
  const images = parseIdx(await Deno.readFile(imagesPath), imagesPath);
  const labels = parseIdx(await Deno.readFile(labelsPath), labelsPath);
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`Cannot use '${imagesPath}' with '${labelsPath}': expected [N, H, W] images and [N] labels, got [${images.dims}] and [${labels.dims}]`);
  }
  const [all, h, w] = images.dims;
  // The embedded sample is one split that stands in for both: a fixed range of it.
  const [first, end] = choice.range ?? [0, all];
  const total = end - first;
  const n = c.limit === null ? total : Math.min(c.limit, total);
  const size = c.im_sz;
  if (c.fit === "pad" && (size < h || size < w)) throw new Error(`Cannot read config 'im_sz': padding needs at least ${Math.max(h, w)}, got ${size}`);
  const perOut = size * size * c.im_ch;
  const out = new Float32Array(n * perOut);
  const square = new Uint8Array(size * size);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const img = images.data.subarray((first + i) * h * w, (first + i + 1) * h * w);
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
  const source = choice.kind === "embedded"
    ? `${family.name}:${c.split} (embedded sample: test-split images ${first}–${first + n - 1} stand in for '${c.split}')`
    : `${family.name}:${c.split}`;
  ctx.log.info(`Prepared ${n} ${family.name} ${c.split} images at ${size}×${size}×${c.im_ch} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await saveDatasetOutput(
    ctx,
    { images: out, shape: [n, size, size, c.im_ch], labels: Int32Array.from(labels.data.subarray(first, first + n)) },
    { source, data_source: choice.kind, fit: c.fit },
  );
}
