import { assert, assertEquals } from "../assert.ts";
import { distinctIndices, gatherRows } from "../../lib/train/chains.ts";
import { streamFor } from "../../lib/train/streams.ts";
import { Random } from "../../lib/util/random.ts";

Deno.test("distinctIndices draws k distinct indices in range, uniformly", () => {
  const rng = new Random(3);
  const counts = new Array(10).fill(0);
  for (let rep = 0; rep < 2000; rep++) {
    const idx = distinctIndices(rng, 4, 10);
    assertEquals(new Set(idx).size, 4, "distinct");
    for (const i of idx) {
      assert(i >= 0 && i < 10, `in range: ${i}`);
      counts[i]++;
    }
  }
  // Each index is picked with probability 4/10 per draw: 800 expected, sd ≈ 22.
  for (const c of counts) assert(Math.abs(c - 800) < 110, `uniform: ${counts}`);
  let message = "";
  try {
    distinctIndices(rng, 11, 10);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("batch_size exceeds"), message);
});

Deno.test("gatherRows copies the chosen rows", () => {
  const src = Float32Array.from({ length: 12 }, (_, i) => i);
  assertEquals(Array.from(gatherRows(src, 3, Int32Array.from([2, 0]))), [6, 7, 8, 0, 1, 2]);
});

Deno.test("per-iteration streams: reproducible, distinct per seed, iteration and purpose", () => {
  const draw = (seed: number, iter: number, p: "batch" | "langevin") => Array.from(streamFor(seed, iter, p).uniformArray(3));
  assertEquals(draw(1, 5, "batch"), draw(1, 5, "batch"));
  const variants = [draw(1, 5, "batch"), draw(2, 5, "batch"), draw(1, 6, "batch"), draw(1, 5, "langevin")].map((v) => v.join());
  assertEquals(new Set(variants).size, 4);
});
