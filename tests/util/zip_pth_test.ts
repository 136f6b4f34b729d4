import { crc32, openZip } from "../../lib/util/zip.ts";
import { decodePth, readPth } from "../../lib/util/pth.ts";
import { unpickle } from "../../lib/util/pickle.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";

const FIX = new URL("../fixtures/pth/", import.meta.url).pathname;

Deno.test("zip: stored, deflated, empty entries and a directory read back (Python zipfile fixture)", async () => {
  const zip = openZip(await Deno.readFile(`${FIX}sample.zip`), "'sample.zip'");
  assertEquals(zip.names(), ["folder/", "folder/stored.txt", "deflated.csv", "empty.bin"]);
  assertEquals(zip.entry("deflated.csv")!.method, 8);
  assertEquals(zip.entry("folder/stored.txt")!.method, 0);
  assertEquals(new TextDecoder().decode(await zip.read("folder/stored.txt")), "stored entry\n");
  const csv = new TextDecoder().decode(await zip.read("deflated.csv"));
  assertEquals(csv, Array.from({ length: 2000 }, (_, i) => `${i},${i * i},${i % 7}\n`).join(""));
  assertEquals((await zip.read("empty.bin")).length, 0);
  await assertThrowsAsync(() => zip.read("missing.txt"), "no entry 'missing.txt'");
});

Deno.test("zip: a damaged entry fails its CRC, a truncated file has no end record", async () => {
  const bytes = await Deno.readFile(`${FIX}sample.zip`);
  const zip = openZip(bytes);
  const e = zip.entry("folder/stored.txt")!;
  const damaged = bytes.slice();
  const start = e.headerOffset + 30 + new DataView(bytes.buffer).getUint16(e.headerOffset + 26, true) + new DataView(bytes.buffer).getUint16(e.headerOffset + 28, true);
  damaged[start] ^= 1;
  await assertThrowsAsync(() => openZip(damaged, "'bad.zip'").read("folder/stored.txt"), "fails its CRC-32 check");
  await assertThrowsAsync(async () => openZip(bytes.subarray(0, bytes.length - 30), "'cut.zip'"), "no end-of-central-directory record");
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

/** Both .pth formats read exactly the values of the safetensors conversion. */
for (const format of ["zip", "legacy"]) {
  Deno.test(`pth (${format}): the paper's NonlocalNet state_dict equals its safetensors conversion, bit for bit`, async () => {
    const pth = await readPth(`${FIX}nonlocal_nf8_${format}.pth`);
    const { tensors } = await readSafetensors(`${FIX}nonlocal_nf8.safetensors`);
    assertEquals(Object.keys(pth), Object.keys(tensors), "keys in state_dict order");
    for (const [k, t] of Object.entries(tensors)) {
      assertEquals(pth[k].dtype, "F32", k);
      assertEquals(pth[k].shape, t.shape, k);
      assert(pth[k].data.every((v, i) => Object.is(v, t.data[i])), `${k}: values differ`);
    }
  });

  Deno.test(`pth (${format}): views, offsets, strides and dtypes come out contiguous`, async () => {
    const pth = await readPth(`${FIX}strided_${format}.pth`);
    const { tensors } = await readSafetensors(`${FIX}strided.safetensors`);
    assertEquals(Object.keys(pth), Object.keys(tensors));
    for (const [k, t] of Object.entries(tensors)) {
      assertEquals(pth[k].shape, t.shape, k);
      assertEquals(pth[k].dtype, t.dtype, k);
      assertEquals(Array.from(pth[k].data as ArrayLike<unknown>, String), Array.from(t.data as ArrayLike<unknown>, String), k);
    }
    // base[i] = 0.5i − 3; transposed[r][c] = base[4c + r]; offset_view starts at base[5].
    assertEquals(Array.from(pth.transposed.data as Float32Array).slice(0, 4), [-3, -1, 1, -2.5]);
    assertEquals((pth.offset_view.data as Float32Array)[0], -0.5);
  });

  Deno.test(`pth (${format}): a pickle naming another global is refused with its name, and nothing runs`, async () => {
    await assertThrowsAsync(() => readPth(`${FIX}evil_${format}.pth`), "names the global 'posix.system'");
  });
}

Deno.test("pickle: opcodes outside a state_dict's needs are refused; a non-checkpoint is named", async () => {
  // INST 'os\nsystem\n' — the protocol-0 way to call a class.
  const inst = new Uint8Array([0x28, 0x8c, 1, 0x78, ...new TextEncoder().encode("ios\nsystem\n.")]);
  await assertThrowsAsync(async () => unpickle(inst, { globals: {}, source: "'x'" }), "INST");
  await assertThrowsAsync(() => decodePth(new TextEncoder().encode("hello"), "'notes.txt'"), "neither a zip-format nor a legacy PyTorch checkpoint");
});
