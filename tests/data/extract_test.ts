import { extractTarGz, safeEntryPath } from "../../lib/data/extract_tgz.ts";
import { exists } from "../../lib/util/fs.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTarGz } from "./archive.ts";
import { gunzipSync, gzipSync } from "node:zlib";

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ebm-extract-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("extract: files, directories and in-tree links are extracted", () =>
  withTemp(async (dir) => {
    const tgz = await makeTarGz([
      { name: "jpg/", type: "directory" },
      { name: "jpg/a.bin", data: new Uint8Array([1, 2, 3]) },
      { name: "./jpg/sub/b.bin", data: new Uint8Array([4]) },
      { name: "jpg/link", type: "symlink", linkname: "a.bin" },
    ]);
    await Deno.writeFile(`${dir}/a.tgz`, tgz);
    const { files } = await extractTarGz(`${dir}/a.tgz`, `${dir}/out`);
    assertEquals(files, 2);
    assertEquals(Array.from(await Deno.readFile(`${dir}/out/jpg/a.bin`)), [1, 2, 3]);
    assertEquals(Array.from(await Deno.readFile(`${dir}/out/jpg/sub/b.bin`)), [4]);
    assertEquals(Array.from(await Deno.readFile(`${dir}/out/jpg/link`)), [1, 2, 3]);
  }));

Deno.test("extract: '..', absolute paths and outward symlinks are rejected and nothing is kept", () =>
  withTemp(async (dir) => {
    const cases: [string, Parameters<typeof makeTarGz>[0], string][] = [
      ["dotdot", [{ name: "jpg/ok.bin", data: new Uint8Array([1]) }, { name: "../x", data: new Uint8Array([9]) }], "'../x' escapes"],
      ["nested-dotdot", [{ name: "jpg/../../x", data: new Uint8Array([9]) }], "escapes the destination"],
      ["absolute", [{ name: "/etc/x", data: new Uint8Array([9]) }], "'/etc/x' has an absolute path"],
      ["symlink-out", [{ name: "jpg/evil", type: "symlink", linkname: "../../../etc/passwd" }], "points outside"],
      ["symlink-abs", [{ name: "jpg/evil", type: "symlink", linkname: "/etc/passwd" }], "points outside"],
      // Each link is inside on paper, but 'esc' goes up through 'up' (which already went up twice).
      ["symlink-chain", [
        { name: "a/b/c/", type: "directory" },
        { name: "a/b/c/up", type: "symlink", linkname: "../.." },
        { name: "a/b/c/esc", type: "symlink", linkname: "up/../../.." },
        { name: "a/b/c/esc/x", data: new Uint8Array([9]) },
      ], "resolves outside the destination through a link"],
      ["symlink-chain-unused", [
        { name: "a/b/c/up", type: "symlink", linkname: "../.." },
        { name: "a/b/c/esc", type: "symlink", linkname: "up/../../.." },
      ], "'a/b/c/esc' → 'up/../../..' points outside"],
    ];
    for (const [name, entries, message] of cases) {
      await Deno.writeFile(`${dir}/${name}.tgz`, await makeTarGz(entries));
      await Deno.mkdir(`${dir}/${name}`);
      await assertThrowsAsync(() => extractTarGz(`${dir}/${name}.tgz`, `${dir}/${name}/inner`), "Cannot extract", message);
      assert(!(await exists(`${dir}/${name}/inner`)), `${name}: the destination must be removed`);
      assert(!(await exists(`${dir}/${name}/x`)) && !(await exists(`${dir}/x`)), `${name}: nothing may be written outside`);
    }
    assertEquals(safeEntryPath("./a/./b", "t"), "a/b");
    assertEquals(safeEntryPath("./", "t"), null);
  }));

Deno.test("extract: truncated gzip and truncated tar give a clear error and leave nothing", () =>
  withTemp(async (dir) => {
    const big = new Uint8Array(20000).map((_, i) => (i * 7919) % 251);
    const tgz = await makeTarGz([{ name: "jpg/a.bin", data: big }, { name: "jpg/b.bin", data: big }]);
    await Deno.writeFile(`${dir}/cut-gzip.tgz`, tgz.subarray(0, Math.floor(tgz.length * 0.6)));
    const tarBytes = new Uint8Array(gunzipSync(tgz));
    await Deno.writeFile(`${dir}/cut-tar.tgz`, new Uint8Array(gzipSync(tarBytes.subarray(0, 512 + 10000))));
    for (const name of ["cut-gzip", "cut-tar"]) {
      await assertThrowsAsync(() => extractTarGz(`${dir}/${name}.tgz`, `${dir}/${name}`), `'${dir}/${name}.tgz'`, "truncated or corrupt", "nothing was kept");
      assert(!(await exists(`${dir}/${name}`)), `${name}: the destination must be removed`);
    }
  }));
