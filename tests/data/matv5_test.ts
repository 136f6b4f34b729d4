import { readMat } from "../../lib/data/matv5.ts";
import { assertEquals, assertThrowsAsync } from "../assert.ts";
import { writeMat } from "./mat_writer.ts";

Deno.test("matv5: reads integer-stored doubles, compressed and plain, little- and big-endian", () => {
  for (const little of [true, false]) {
    const bytes = writeMat([
      { name: "labels", values: [77, 1, 102, 5], storage: "uint8", compress: true },
      { name: "trnid", values: [300, 2, 65535], storage: "uint16" },
      { name: "d", values: [2.5, -1], storage: "double", dims: [2, 1] },
    ], little);
    const vars = readMat(bytes, "test.mat");
    assertEquals(Array.from(vars.get("labels")!.data), [77, 1, 102, 5]);
    assertEquals(vars.get("labels")!.className, "double");
    assertEquals(vars.get("labels")!.dims, [1, 4]);
    assertEquals(Array.from(vars.get("trnid")!.data), [300, 2, 65535]);
    assertEquals(Array.from(vars.get("d")!.data), [2.5, -1]);
    assertEquals(vars.get("d")!.dims, [2, 1]);
  }
});

Deno.test("matv5: small data elements (≤ 4 bytes packed in the tag) for names and values", () => {
  const bytes = writeMat([
    { name: "n", values: [7], storage: "uint8" },
    { name: "ab", values: [513, 9], storage: "uint16", classCode: 11 },
  ]);
  const vars = readMat(bytes, "small.mat");
  assertEquals(Array.from(vars.get("n")!.data), [7]);
  assertEquals(Array.from(vars.get("ab")!.data), [513, 9]);
  assertEquals(vars.get("ab")!.className, "uint16");
});

Deno.test("matv5: clear errors for non-MAT, truncated and corrupt files", async () => {
  await assertThrowsAsync(() => Promise.resolve().then(() => readMat(new Uint8Array(10), "tiny.mat")), "'tiny.mat'", "shorter than the 128-byte header");
  await assertThrowsAsync(() => Promise.resolve().then(() => readMat(new Uint8Array(200), "v4.mat")), "no level-5 endian indicator");
  const good = writeMat([{ name: "labels", values: [1, 2, 3, 4, 5, 6, 7, 8, 9], storage: "uint8" }]);
  await assertThrowsAsync(() => Promise.resolve().then(() => readMat(good.subarray(0, good.length - 12), "cut.mat")), "'cut.mat'", "needs");
  const compressed = writeMat([{ name: "labels", values: [1, 2, 3], storage: "uint8", compress: true }]);
  const broken = compressed.slice();
  broken.fill(0xff, 136, 150);
  await assertThrowsAsync(() => Promise.resolve().then(() => readMat(broken, "bad.mat")), "'bad.mat'", "corrupt");
});
