import fashionTask from "../../tasks/fashion-mnist.ts";
import mnistTask from "../../tasks/mnist.ts";
import { readImageDataset } from "../../lib/data/dataset_file.ts";
import { parseIdx } from "../../lib/data/idx.ts";
import { toSignedUnit } from "../../lib/data/transform.ts";
import { assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTestContext } from "../task_context.ts";
import { serveFiles } from "./server.ts";
import { gzipSync } from "node:zlib";
import { idx } from "./idx_fixture.ts";

const pilDir = new URL("./fixtures/pil/", import.meta.url);


/** Three 28×28 images; the first is the PIL fixture whose Resize(32) PIL computed. */
async function idxFiles() {
  const first = await Deno.readFile(new URL("e.in.u8", pilDir));
  const pixels = new Uint8Array(3 * 784);
  pixels.set(first, 0);
  for (let i = 784; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  return {
    "train-images-idx3-ubyte.gz": new Uint8Array(gzipSync(idx([3, 28, 28], pixels))),
    "train-labels-idx1-ubyte": idx([3], new Uint8Array([3, 7, 9])),
    pixels,
  };
}

Deno.test("idx: parses plain and gzipped files and rejects bad ones", async () => {
  const files = await idxFiles();
  assertEquals(parseIdx(files["train-images-idx3-ubyte.gz"], "x").dims, [3, 28, 28]);
  assertEquals(Array.from(parseIdx(files["train-labels-idx1-ubyte"], "y").data), [3, 7, 9]);
  await assertThrowsAsync(() => Promise.resolve().then(() => parseIdx(files["train-labels-idx1-ubyte"].subarray(0, 10), "cut")), "'cut'", "need 3 bytes of data, got 2");
  await assertThrowsAsync(() => Promise.resolve().then(() => parseIdx(new Uint8Array([1, 2, 3, 4]), "bad")), "bad magic");
});

Deno.test("fashion-mnist: local IDX files → Resize(32) equal to PIL, labels, limit, pad and 3 channels", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ebm-idx-" });
  try {
    const files = await idxFiles();
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte.gz`, files["train-images-idx3-ubyte.gz"]);
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte`, files["train-labels-idx1-ubyte"]);
    assertEquals(fashionTask.config.parse({}).debian_path, "/usr/share/datasets/fashion-mnist/");
    const t = await makeTestContext(fashionTask.config.parse({ local_path: dir, limit: 2 }));
    try {
      assertEquals(await fashionTask.resolveInputs!(t.ctx.config), [dir]);
      await fashionTask.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [2, 32, 32, 1]);
      assertEquals(Array.from(ds.labels!), [3, 7]);
      const want = toSignedUnit(await Deno.readFile(new URL("e.transform32.u8", pilDir)));
      assertEquals(Array.from(ds.images.subarray(0, 1024)), Array.from(want), "PIL Resize(32)");
      assertEquals(t.metrics?.count, 2);
    } finally {
      await t.dispose();
    }
    const p = await makeTestContext(fashionTask.config.parse({ local_path: dir, fit: "pad", im_ch: 3 }));
    try {
      await fashionTask.run(p.ctx);
      const ds = await readImageDataset(`${p.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [3, 32, 32, 3]);
      // Pixel (y, x) of the padded image is source pixel (y − 2, x − 2); the border is −1.
      const at = (n: number, y: number, x: number, ch: number) => ds.images[((n * 32 + y) * 32 + x) * 3 + ch];
      assertEquals([at(1, 0, 0, 0), at(1, 31, 31, 2)], [-1, -1]);
      const src = files.pixels[784 + 5 * 28 + 7];
      assertEquals([at(1, 7, 9, 0), at(1, 7, 9, 1)], [Math.fround(Math.fround(Math.fround(src / 255) - 0.5) / 0.5), at(1, 7, 9, 2)]);
    } finally {
      await p.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mnist: downloads from the mirror (test split) and checks the published md5", async () => {
  const files = await idxFiles();
  const server = serveFiles({
    "t10k-images-idx3-ubyte.gz": files["train-images-idx3-ubyte.gz"],
    "t10k-labels-idx1-ubyte.gz": new Uint8Array(gzipSync(files["train-labels-idx1-ubyte"])),
  });
  const downloads = await Deno.makeTempDir({ prefix: "ebm-downloads-" });
  try {
    const base = { mirror: server.base, download_dir: downloads, split: "test", connect_timeout_s: 2 };
    const bad = await makeTestContext(mnistTask.config.parse(base));
    try {
      await assertThrowsAsync(() => mnistTask.run(bad.ctx), "t10k-images-idx3-ubyte.gz", "md5 expected 9fb629c4189551a2d022fa330f9573f3");
    } finally {
      await bad.dispose();
    }
    const t = await makeTestContext(mnistTask.config.parse({ ...base, verify_md5: false, im_sz: 28 }));
    try {
      await mnistTask.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [3, 28, 28, 1]);
      assertEquals(ds.metadata.source, "mnist:test");
      assertEquals(Array.from(ds.images.subarray(0, 784)), Array.from(toSignedUnit(files.pixels.subarray(0, 784))));
    } finally {
      await t.dispose();
    }
  } finally {
    await server.close();
    await Deno.remove(downloads, { recursive: true });
  }
});

Deno.test("fashion-mnist: the real test split from Debian's dataset-fashion-mnist package", async () => {
  const dir = "/usr/share/datasets/fashion-mnist/";
  try {
    await Deno.stat(dir);
  } catch {
    throw new Error(`This test needs Debian's dataset-fashion-mnist package (files in ${dir}): apt-get install dataset-fashion-mnist`);
  }
  const t = await makeTestContext(fashionTask.config.parse({ split: "test", im_sz: 32 }), { threads: 2 });
  try {
    await fashionTask.run(t.ctx);
    const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
    assertEquals(ds.shape, [10000, 32, 32, 1]);
    const counts = new Array(10).fill(0);
    for (const label of ds.labels!) counts[label]++;
    assertEquals(counts, new Array(10).fill(1000), "Fashion-MNIST's test split has 1,000 images per class");
    let mean = 0;
    for (const v of ds.images) mean += v;
    mean /= ds.images.length;
    // The known Fashion-MNIST test mean pixel is 0.2868 on [0, 1], i.e. −0.426 on [−1, 1]; the resize keeps it within 0.01.
    assertEquals(Math.abs(mean - -0.4264) < 0.01, true, `mean pixel ${mean}`);
  } finally {
    await t.dispose();
  }
});
