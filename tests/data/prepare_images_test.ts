import prepareTask from "../../tasks/prepare-images.ts";
import folderTask from "../../tasks/image-folder.ts";
import sharp from "sharp";
import { readImageDataset } from "../../lib/data/dataset_file.ts";
import { toSignedUnit } from "../../lib/data/transform.ts";
import { writeJsonAtomic } from "../../lib/util/fs.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTestContext } from "../task_context.ts";
import { makeJpeg } from "./flowers_fixture.ts";

const pilDir = new URL("./fixtures/pil/", import.meta.url);

/** A fake download-flowers output: the PIL fixture JPEG plus synthetic ones. */
async function fakeFlowers(dir: string, count: number) {
  await Deno.mkdir(`${dir}/jpg`, { recursive: true });
  const pilJpeg = await Deno.readFile(new URL("j.jpg", pilDir));
  for (let i = 1; i <= count; i++) {
    const bytes = i === 2 ? pilJpeg : await makeJpeg(30 + (i % 7) * 5, 25 + (i % 5) * 6, i);
    await Deno.writeFile(`${dir}/jpg/image_${String(i).padStart(5, "0")}.jpg`, bytes);
  }
  const labels = Array.from({ length: count }, (_, i) => (i % 102) + 1);
  await writeJsonAtomic(`${dir}/labels.json`, { labels, splits: { trnid: [3, 1], valid: [2], tstid: [4] } });
}

Deno.test("prepare-images: flowers input → PIL-exact [-1, 1] NHWC tensor with 0-based labels, same on 1 and 2 threads", async () => {
  const src = await Deno.makeTempDir({ prefix: "ebm-flowers-" });
  try {
    await fakeFlowers(src, 9);
    const inputs = [{ id: "flowers", task: "download-flowers", dir: src }];
    const results = [];
    for (const threads of [1, 2]) {
      const t = await makeTestContext(prepareTask.config.parse({ im_sz: 32, chunk_size: 2 }), { inputs, threads });
      try {
        await prepareTask.run(t.ctx);
        const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
        assertEquals(ds.shape, [9, 32, 32, 3]);
        assertEquals(Array.from(ds.labels!), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assertEquals([ds.metadata.source, ds.metadata.im_sz, ds.metadata.im_ch, ds.metadata.count], ["flowers102:all", "32", "3", "9"]);
        assertEquals(t.metrics?.count, 9);
        assert(typeof t.metrics?.mean_c0 === "number" && typeof t.metrics?.sd_c2 === "number", "per-channel stats");
        assertEquals(t.progress.at(-1), { done: 9, total: 9, label: "images" });
        results.push(ds.images);
      } finally {
        await t.dispose();
      }
    }
    assertEquals(Array.from(results[0]), Array.from(results[1]), "1 vs 2 threads");
    // Image 2 is the PIL fixture JPEG: its pixels must equal PIL's transform exactly.
    const want = toSignedUnit(await Deno.readFile(new URL("j.rgb.transform32.u8", pilDir)));
    assertEquals(Array.from(results[0].subarray(32 * 32 * 3, 2 * 32 * 32 * 3)), Array.from(want), "PIL-exact pixels");
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("prepare-images: a split selects its ids; grayscale follows PIL convert('L')", async () => {
  const src = await Deno.makeTempDir({ prefix: "ebm-flowers-" });
  try {
    await fakeFlowers(src, 4);
    const inputs = [{ id: "flowers", task: "download-flowers", dir: src }];
    const t = await makeTestContext(prepareTask.config.parse({ im_sz: 32, im_ch: 1, split: "trnid" }), { inputs });
    try {
      await prepareTask.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [2, 32, 32, 1]);
      assertEquals(Array.from(ds.labels!), [0, 2]);
    } finally {
      await t.dispose();
    }
    const v = await makeTestContext(prepareTask.config.parse({ im_sz: 32, im_ch: 1, split: "valid" }), { inputs });
    try {
      await prepareTask.run(v.ctx);
      const ds = await readImageDataset(`${v.ctx.outDir}/data.safetensors`);
      const want = toSignedUnit(await Deno.readFile(new URL("j.l.transform32.u8", pilDir)));
      assertEquals(Array.from(ds.images), Array.from(want), "PIL-exact grayscale pixels");
    } finally {
      await v.dispose();
    }
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("image-folder: ImageFolder order and classes; PNG, grayscale and alpha become RGB", async () => {
  const root = await Deno.makeTempDir({ prefix: "ebm-folder-" });
  try {
    await Deno.mkdir(`${root}/b_class/sub`, { recursive: true });
    await Deno.mkdir(`${root}/a_class`);
    await Deno.writeFile(`${root}/a_class/z.JPG`, await makeJpeg(20, 30, 1));
    await Deno.writeFile(`${root}/a_class/notes.txt`, new TextEncoder().encode("not an image"));
    const gray = new Uint8Array(24 * 24).map((_, i) => i % 256);
    await Deno.writeFile(`${root}/b_class/g.png`, new Uint8Array(await sharp(gray, { raw: { width: 24, height: 24, channels: 1 } }).png().toBuffer()));
    const rgba = new Uint8Array(16 * 18 * 4).map((_, i) => (i * 13) % 256);
    await Deno.writeFile(`${root}/b_class/sub/a.png`, new Uint8Array(await sharp(rgba, { raw: { width: 16, height: 18, channels: 4 } }).png().toBuffer()));
    const t = await makeTestContext(folderTask.config.parse({ image_dir: root, im_sz: 16 }), { threads: 2 });
    try {
      assertEquals(folderTask.externalInputs!(t.ctx.config), [root]);
      await folderTask.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [3, 16, 16, 3]);
      assertEquals(Array.from(ds.labels!), [0, 1, 1]);
      assertEquals(JSON.parse(ds.metadata.classes), ["a_class", "b_class"]);
      // The grayscale PNG (second: b_class/g.png sorts before b_class/sub/a.png) has R = G = B.
      const g = ds.images.subarray(16 * 16 * 3, 2 * 16 * 16 * 3);
      for (let i = 0; i < g.length; i += 3) assert(g[i] === g[i + 1] && g[i] === g[i + 2], "gray replicated");
      for (const v of ds.images) assert(v >= -1 && v <= 1, `pixel ${v} outside [-1, 1]`);
    } finally {
      await t.dispose();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("image-folder / prepare-images: clear errors for missing inputs and bad images", async () => {
  const t = await makeTestContext(prepareTask.config.parse({}));
  try {
    await assertThrowsAsync(() => prepareTask.run(t.ctx), "Cannot read config 'image_dir'", "got null");
  } finally {
    await t.dispose();
  }
  const root = await Deno.makeTempDir({ prefix: "ebm-folder-" });
  try {
    await Deno.mkdir(`${root}/c`);
    await Deno.writeFile(`${root}/c/broken.jpg`, new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]));
    const b = await makeTestContext(folderTask.config.parse({ image_dir: root }));
    try {
      await assertThrowsAsync(() => folderTask.run(b.ctx), `Cannot decode '${root}/c/broken.jpg'`);
    } finally {
      await b.dispose();
    }
    const e = await makeTestContext(folderTask.config.parse({ image_dir: `${root}/c` }));
    try {
      await assertThrowsAsync(() => folderTask.run(e.ctx), "expected class sub-directories");
    } finally {
      await e.dispose();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
