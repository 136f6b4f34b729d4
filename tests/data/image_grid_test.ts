import { assert, assertEquals } from "../assert.ts";
import { defaultNrow, encodeGridPng, makeGrid, upscaleNearest, writeGridPng } from "../../lib/data/image_grid.ts";
import { decodePng } from "../plot/png.ts";

Deno.test("defaultNrow is the paper's int(n ** 0.5)", () => {
  assertEquals([1, 2, 3, 4, 8, 9, 50, 64, 99, 100].map(defaultNrow), [1, 1, 1, 2, 2, 3, 7, 8, 9, 10]);
});

Deno.test("makeGrid: make_grid layout, 2 px black padding, row-major tiles", () => {
  // 5 one-channel 2×2 images; image k is constant (k − 2) / 2 ∈ {−1, −0.5, 0, 0.5, 1}.
  const images = new Float32Array(5 * 4);
  for (let k = 0; k < 5; k++) images.fill((k - 2) / 2, k * 4, (k + 1) * 4);
  const grid = makeGrid(images, { n: 5, height: 2, width: 2, channels: 1 });
  // nrow = int(sqrt 5) = 2 → 2 columns, 3 rows: (2+2)·2+2 = 10 wide, (2+2)·3+2 = 14 high.
  assertEquals([grid.width, grid.height], [10, 14]);
  const at = (x: number, y: number) => [...grid.data.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3)];
  const expected = [0, 64, 128, 191, 255]; // ⌊255·v + 0.5⌋ of (k/4)
  for (let k = 0; k < 5; k++) {
    const x0 = (k % 2) * 4 + 2, y0 = Math.floor(k / 2) * 4 + 2;
    for (const [dx, dy] of [[0, 0], [1, 1]]) assertEquals(at(x0 + dx, y0 + dy), [expected[k], expected[k], expected[k]], `tile ${k}`);
  }
  assertEquals(at(0, 0), [0, 0, 0]);
  assertEquals(at(4, 3), [0, 0, 0], "padding between tiles");
  assertEquals(at(7, 11), [0, 0, 0], "the empty 6th slot stays padding");
});

Deno.test("makeGrid clamps to [-1, 1] then min-max normalises the whole batch", () => {
  // Values beyond ±1 clamp; the batch min/max after clamping (−0.5, 1) map to 0 and 255.
  const images = Float32Array.from([-0.5, 0.25, 3, 1].flatMap((v) => [v, v, v]));
  const grid = makeGrid(images, { n: 4, height: 1, width: 1, channels: 3 });
  assertEquals([grid.width, grid.height], [8, 8]);
  const pixel = (k: number) => grid.data[(((Math.floor(k / 2) * 3 + 2) * 8) + (k % 2) * 3 + 2) * 3];
  assertEquals([0, 1, 2, 3].map(pixel), [0, 128, 255, 255]);
});

Deno.test("makeGrid keeps colour channels in order and a single image has no padding", () => {
  const one = new Float32Array([-1, 0, 1, 1, 0, -1]); // 1×1×2×3
  const grid = makeGrid(one, { n: 1, height: 1, width: 2, channels: 3 });
  assertEquals([grid.width, grid.height], [2, 1]);
  assertEquals([...grid.data], [0, 128, 255, 255, 128, 0]);
});

Deno.test("makeGrid rejects wrong sizes and NaN with the field named", () => {
  let message = "";
  try { makeGrid(new Float32Array(3), { n: 1, height: 2, width: 2, channels: 1 }); } catch (e) { message = (e as Error).message; }
  assert(message.includes("needs 4 values, got 3"), message);
  try { makeGrid(new Float32Array([0, NaN]), { n: 2, height: 1, width: 1, channels: 1 }); } catch (e) { message = (e as Error).message; }
  assert(message.includes("NaN"), message);
  try { makeGrid(new Float32Array(2), { n: 1, height: 1, width: 1, channels: 2 }); } catch (e) { message = (e as Error).message; }
  assert(message.includes("1 or 3 channels"), message);
});

Deno.test("encodeGridPng / writeGridPng round-trip the exact bytes", async () => {
  const images = Float32Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.sin(i));
  const grid = makeGrid(images, { n: 4, height: 3, width: 3, channels: 3 });
  const decoded = await decodePng(await encodeGridPng(grid));
  assertEquals([decoded.width, decoded.height, decoded.channels], [grid.width, grid.height, 3]);
  assertEquals([...decoded.data], [...grid.data]);
  const dir = await Deno.makeTempDir();
  try {
    await writeGridPng(`${dir}/g.png`, images, { n: 4, height: 3, width: 3, channels: 3 });
    assertEquals([...(await decodePng(await Deno.readFile(`${dir}/g.png`))).data], [...grid.data]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("upscaleNearest replicates each pixel into a factor×factor block", () => {
  const image = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
  const big = upscaleNearest(image, 2);
  assertEquals([big.width, big.height], [4, 2]);
  assertEquals(Array.from(big.data), [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
  assert(upscaleNearest(image, 1) === image, "factor 1 should return the image itself");
  let message = "";
  try {
    upscaleNearest(image, 1.5);
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, "Cannot enlarge an image grid: expected a positive whole factor, got 1.5");
});
