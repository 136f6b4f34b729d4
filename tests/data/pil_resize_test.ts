import sharp from "sharp";
import { resizeBilinearPil } from "../../lib/data/pil_resize.ts";
import { resizeShorterCenterCrop, rgbToGray, roundHalfEven } from "../../lib/data/transform.ts";
import { decodeImage } from "../../lib/data/decode.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";

interface Case {
  kind: "resize" | "transform" | "decode" | "jpeg-transform" | "to-gray";
  input: string;
  w: number;
  h: number;
  c: 1 | 3;
  out_w?: number;
  out_h?: number;
  size?: number;
  output: string;
}

const dir = new URL("./fixtures/pil/", import.meta.url);
const manifest = JSON.parse(await Deno.readTextFile(new URL("manifest.json", dir))) as { pil_version: string; cases: Case[] };
const read = (name: string) => Deno.readFile(new URL(name, dir));

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assertEquals(a.length, b.length, "output length");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function label(c: Case): string {
  return `${c.kind} ${c.input} ${c.w}×${c.h}×${c.c} → ${c.size ?? `${c.out_w}×${c.out_h}`}`;
}

Deno.test("pil resize: fixtures were made by PIL 9.4 and cover resize, transform and decode", () => {
  assertEquals(manifest.pil_version, "9.4.0");
  for (const kind of ["resize", "transform", "decode", "jpeg-transform", "to-gray"]) {
    assert(manifest.cases.some((c) => c.kind === kind), `no '${kind}' fixture`);
  }
});

Deno.test("pil resize: bilinear resize matches PIL exactly (max abs diff 0) on every fixture", async () => {
  for (const c of manifest.cases.filter((c) => c.kind === "resize")) {
    const got = resizeBilinearPil(await read(c.input), c.w, c.h, c.c, c.out_w!, c.out_h!);
    assertEquals(maxAbsDiff(got, await read(c.output)), 0, label(c));
  }
});

Deno.test("pil resize: Resize(shorter side) + CenterCrop matches the torchvision formulas on PIL", async () => {
  for (const c of manifest.cases.filter((c) => c.kind === "transform")) {
    const got = resizeShorterCenterCrop(await read(c.input), c.w, c.h, c.c, c.size!);
    assertEquals(maxAbsDiff(got, await read(c.output)), 0, label(c));
  }
});

Deno.test("pil resize: sharp decoding + PIL luma + transform equal PIL's pixels for a JPEG", async () => {
  for (const c of manifest.cases.filter((c) => c.kind === "decode" || c.kind === "jpeg-transform")) {
    const decoded = await decodeImage(await read(c.input), c.c, c.input);
    assertEquals([decoded.width, decoded.height, decoded.channels], [c.w, c.h, c.c], label(c));
    const got = c.kind === "decode" ? decoded.data : resizeShorterCenterCrop(decoded.data, c.w, c.h, c.c, c.size!);
    assertEquals(maxAbsDiff(got, await read(c.output)), 0, label(c));
  }
  for (const c of manifest.cases.filter((c) => c.kind === "to-gray")) {
    assertEquals(maxAbsDiff(rgbToGray(await read(c.input)), await read(c.output)), 0, label(c));
  }
});

Deno.test("pil resize: sharp's own bilinear resize is measurably different from PIL (why we have our own)", async () => {
  let total = 0, count = 0;
  for (const c of manifest.cases.filter((c) => c.kind === "resize" && c.out_w! < c.w && c.out_h! < c.h)) {
    const { data } = await sharp(await read(c.input), { raw: { width: c.w, height: c.h, channels: c.c } })
      .resize(c.out_w!, c.out_h!, { fit: "fill", kernel: "linear" }).raw().toBuffer({ resolveWithObject: true });
    const want = await read(c.output);
    for (let i = 0; i < want.length; i++) total += Math.abs(data[i] - want[i]);
    count += want.length;
  }
  const mean = total / count;
  console.log(`sharp 'linear' resize vs PIL bilinear on the downscale fixtures: mean abs diff ${mean.toFixed(3)} / 255`);
  assert(mean > 0.1, `expected sharp to differ from PIL, mean abs diff ${mean}`);
});

Deno.test("pil resize: Python round-half-even and argument checks", async () => {
  assertEquals([0.5, 1.5, 2.5, -0.5, 3.2, 3.7].map(roundHalfEven), [0, 2, 2, -0, 3, 4]);
  await assertThrowsAsync(() => Promise.resolve().then(() => resizeBilinearPil(new Uint8Array(5), 2, 2, 1, 1, 1)), "needs 4 bytes, got 5");
  await assertThrowsAsync(() => Promise.resolve().then(() => resizeBilinearPil(new Uint8Array(4), 2, 2, 1, 0, 1)), "'outW'", "got 0");
});
