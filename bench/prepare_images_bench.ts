/**
 * Benchmark of `prepare-images`' decode + PIL-exact resize fan-out: the same synthetic JPEGs
 * (photo-like sizes, default 300 of ~500×375) prepared with a 1-thread and a 2-thread pool; prints
 * both times and the speed-up ratio, and checks the outputs are identical. Also prints the mean
 * absolute difference of sharp's own resize vs the PIL-exact one on these images.
 *
 * Usage: deno run -A bench/prepare_images_bench.ts [count]
 * @module
 */
import sharp from "sharp";
import { createPool } from "../lib/pool/pool.ts";
import { prepareImageFiles } from "../lib/data/prepare_images.ts";
import { decodeImage } from "../lib/data/decode.ts";
import { centerCrop, resizeShorterCenterCrop, shorterSideSize } from "../lib/data/transform.ts";
import { Random } from "../lib/util/random.ts";

const count = Number(Deno.args[0] ?? 300);
const imSz = 32;
const dir = await Deno.makeTempDir({ prefix: "ebm-bench-prepare-" });
try {
  const rng = new Random(1);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const w = 500, h = 300 + rng.int(400);
    const raw = new Uint8Array(w * h * 3);
    const cx = rng.uniform() * w, cy = rng.uniform() * h, r = 40 + rng.uniform() * 120;
    const base = [rng.int(256), rng.int(256), rng.int(256)];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inBlob = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
        for (let c = 0; c < 3; c++) {
          const v = inBlob ? 255 - base[c] : base[c] * (0.5 + 0.5 * Math.sin((x + 2 * y + 40 * c) / 37));
          raw[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, v + (rng.uniform() - 0.5) * 24));
        }
      }
    }
    const path = `${dir}/img_${String(i).padStart(5, "0")}.jpg`;
    await Deno.writeFile(path, new Uint8Array(await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()));
    paths.push(path);
  }
  const results: { threads: number; seconds: number; out: Float32Array }[] = [];
  for (const threads of [1, 2]) {
    const pool = createPool({ threads });
    const progress = { update: () => {} };
    // A warm-up chunk starts the threads and loads sharp, so the timing is steady-state work.
    await prepareImageFiles({ pool, progress, signal: new AbortController().signal }, paths.slice(0, threads * 2), { imSz, imCh: 3, chunkSize: 1 });
    const t0 = performance.now();
    const out = await prepareImageFiles({ pool, progress, signal: new AbortController().signal }, paths, { imSz, imCh: 3, chunkSize: 16 });
    results.push({ threads, seconds: (performance.now() - t0) / 1000, out });
    await pool.close();
  }
  const identical = results[0].out.every((v, i) => v === results[1].out[i]);
  console.log(`prepare ${count} JPEGs → ${imSz}×${imSz}×3: 1 thread ${results[0].seconds.toFixed(2)} s (${(count / results[0].seconds).toFixed(0)} img/s), 2 threads ${results[1].seconds.toFixed(2)} s (${(count / results[1].seconds).toFixed(0)} img/s), speed-up ×${(results[0].seconds / results[1].seconds).toFixed(2)}, outputs identical: ${identical}`);

  let total = 0, n = 0;
  for (const path of paths.slice(0, 50)) {
    const img = await decodeImage(await Deno.readFile(path), 3, path);
    const ours = resizeShorterCenterCrop(img.data, img.width, img.height, 3, imSz);
    const [ow, oh] = shorterSideSize(img.width, img.height, imSz);
    const theirs = new Uint8Array(await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(ow, oh, { fit: "fill" }).raw().toBuffer());
    const cropped = centerCrop(theirs, ow, oh, 3, imSz);
    for (let i = 0; i < ours.length; i++) total += Math.abs(ours[i] - cropped[i]);
    n += ours.length;
  }
  console.log(`sharp's default resize vs PIL-exact on 50 of these images: mean abs diff ${(total / n).toFixed(3)} / 255`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
