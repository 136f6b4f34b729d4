import { datasetStats, readImageDataset, writeImageDataset } from "../../lib/data/dataset_file.ts";
import { encodeSafetensors } from "../../lib/util/safetensors.ts";
import { assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

Deno.test("dataset file: round trip with labels and metadata; stats per channel", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ebm-ds-" });
  try {
    const images = new Float32Array(2 * 2 * 2 * 3).map((_, i) => (i % 3 === 0 ? -1 : i % 3 === 1 ? 0.5 : (i % 2) - 0.5));
    const ds = { images, shape: [2, 2, 2, 3] as [number, number, number, number], labels: new Int32Array([4, 1]) };
    await writeImageDataset(`${dir}/data.safetensors`, ds, { source: "unit", extra: "x" });
    const back = await readImageDataset(`${dir}/data.safetensors`);
    assertEquals(back.shape, [2, 2, 2, 3]);
    assertEquals(Array.from(back.images), Array.from(images));
    assertEquals(Array.from(back.labels!), [4, 1]);
    assertEquals(back.metadata, { source: "unit", extra: "x", im_sz: "2", im_ch: "3", count: "2" });
    const stats = datasetStats(ds);
    assertEquals(stats.count, 2);
    assertClose([stats.mean_c0, stats.sd_c0, stats.mean_c1, stats.sd_c1], [-1, 0, 0.5, 0], 1e-12);
    assertClose(stats.sd_c2, 0.5, 1e-12);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dataset file: layout errors name the file and the problem", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ebm-ds-" });
  try {
    await assertThrowsAsync(() => writeImageDataset(`${dir}/a.safetensors`, { images: new Float32Array(5), shape: [1, 2, 2, 1] }), "needs 4 values, got 5");
    await assertThrowsAsync(() => writeImageDataset(`${dir}/a.safetensors`, { images: new Float32Array(4), shape: [1, 2, 2, 1], labels: new Int32Array(2) }), "1 images but 2 labels");
    await Deno.writeFile(`${dir}/b.safetensors`, encodeSafetensors({ images: { dtype: "U8", shape: [1, 2, 2, 1], data: new Uint8Array(4) } }));
    await assertThrowsAsync(() => readImageDataset(`${dir}/b.safetensors`), `'${dir}/b.safetensors'`, "expected tensor 'images' F32", "got U8");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
