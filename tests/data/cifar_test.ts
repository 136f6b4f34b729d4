import task from "../../tasks/cifar10.ts";
import { readImageDataset } from "../../lib/data/dataset_file.ts";
import { CIFAR_RECORD } from "../../lib/data/cifar.ts";
import { assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTestContext } from "../task_context.ts";
import { makeTarGz } from "./archive.ts";
import { md5 } from "./flowers_fixture.ts";
import { serveFiles } from "./server.ts";

/** A batch of `n` records with label (seed + i) % 10 and pixel value (seed + i + plane·7 + p) % 256. */
function batch(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * CIFAR_RECORD);
  for (let i = 0; i < n; i++) {
    out[i * CIFAR_RECORD] = (seed + i) % 10;
    for (let j = 0; j < 3072; j++) out[i * CIFAR_RECORD + 1 + j] = (seed + i + Math.floor(j / 1024) * 7 + j) % 256;
  }
  return out;
}

const names = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"];
const archive = await makeTarGz([
  { name: "cifar-10-batches-bin/", type: "directory" },
  { name: "cifar-10-batches-bin/batches.meta.txt", data: new TextEncoder().encode("airplane\n") },
  ...names.map((name, k) => ({ name: `cifar-10-batches-bin/${name}`, data: batch(2, 10 * k) })),
]);

Deno.test("cifar10: reads the train batches in order from the archive; planes become HWC RGB", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ebm-cifar-" });
  try {
    await Deno.writeFile(`${dir}/cifar-10-binary.tar.gz`, archive);
    const t = await makeTestContext(task.config.parse({ local_path: `${dir}/cifar-10-binary.tar.gz` }));
    try {
      await task.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [10, 32, 32, 3]);
      assertEquals(Array.from(ds.labels!), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
      // Image 2 = batch 2 record 0 (seed 10): pixel p of plane c is (10 + c·7 + c·1024 + p) % 256.
      const px = (img: number, p: number, ch: number) => ds.images[img * 3072 + p * 3 + ch];
      const v = (x: number) => Math.fround(Math.fround(Math.fround(x / 255) - 0.5) / 0.5);
      assertEquals([px(2, 5, 0), px(2, 5, 1), px(2, 5, 2)], [v(15), v((10 + 7 + 1024 + 5) % 256), v((10 + 14 + 2048 + 5) % 256)]);
    } finally {
      await t.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cifar10: test split from a directory, grayscale and resize; download with md5; missing batch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ebm-cifar-" });
  const server = serveFiles({ "cifar-10-binary.tar.gz": archive });
  try {
    await Deno.mkdir(`${dir}/cifar-10-batches-bin`);
    await Deno.writeFile(`${dir}/cifar-10-batches-bin/test_batch.bin`, batch(3, 50));
    const t = await makeTestContext(task.config.parse({ local_path: dir, split: "test", im_ch: 1, im_sz: 16 }));
    try {
      await task.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [3, 16, 16, 1]);
      assertEquals(Array.from(ds.labels!), [0, 1, 2]);
    } finally {
      await t.dispose();
    }
    const missing = await makeTestContext(task.config.parse({ local_path: dir }));
    try {
      await assertThrowsAsync(() => task.run(missing.ctx), "batch 'data_batch_1.bin' is missing");
    } finally {
      await missing.dispose();
    }
    const d = await makeTestContext(task.config.parse({ url: `${server.base}cifar-10-binary.tar.gz`, download_dir: dir, md5: md5(archive), split: "test" }));
    try {
      await task.run(d.ctx);
      assertEquals(d.metrics?.count, 2);
    } finally {
      await d.dispose();
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
