import task from "../../tasks/download-flowers.ts";
import { exists, readJson } from "../../lib/util/fs.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTestContext } from "../task_context.ts";
import { serveFiles } from "./server.ts";
import { makeMiniFlowers, md5 } from "./flowers_fixture.ts";
import { makeTarGz } from "./archive.ts";

const mini = await makeMiniFlowers();

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function setup(files: Record<string, Uint8Array>, extra: Record<string, unknown> = {}, cutFirst: string[] = []) {
  const server = serveFiles(files, { cutFirst });
  const downloads = await Deno.makeTempDir({ prefix: "ebm-downloads-" });
  const config = task.config.parse({ mirror: server.base, download_dir: downloads, ...mini.md5Config, ...extra });
  const t = await makeTestContext(config);
  return {
    server, downloads, t, config,
    async dispose() {
      await t.dispose();
      await server.close();
      await Deno.remove(downloads, { recursive: true });
    },
  };
}

Deno.test("download-flowers: defaults are the real VGG URLs and md5 sums", () => {
  const c = task.config.parse({});
  assertEquals(c.mirror, "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/");
  assertEquals([c.md5_images, c.md5_labels, c.md5_setid], ["52808999861908f626f3c1f4e79d11fa", "e0620be6f572b9609742df49c70aed4d", "a5357ecc9cb78c4bef273ce3793fc85c"]);
  assertEquals(c.download_dir, "outputs/.downloads");
});

Deno.test("download-flowers: downloads, verifies, extracts jpg/ and writes labels.json", async () => {
  const s = await setup(mini.files);
  try {
    await task.run(s.t.ctx);
    const out = s.t.ctx.outDir;
    assertEquals(await listDir(out), ["jpg", "labels.json", "metrics.json"]);
    assertEquals(await listDir(`${out}/jpg`), ["image_00001.jpg", "image_00002.jpg", "image_00003.jpg"]);
    assertEquals(md5(await Deno.readFile(`${out}/jpg/image_00002.jpg`)), md5(mini.jpgs[1]));
    assertEquals(await readJson(`${out}/labels.json`), { labels: [5, 102, 1], splits: { trnid: [2], valid: [3], tstid: [1] } });
    assertEquals(s.t.metrics, { count: 3, classes: 3, trnid: 1, valid: 1, tstid: 1 });
    assert(s.server.requests.every((r) => r.range === null), "a fresh download must not send Range");
    assert(s.t.progress.some((p) => p.label === "bytes 102flowers.tgz" && p.done === mini.files["102flowers.tgz"].length), "byte progress");
    // The verified downloads persist and are reused without network.
    const before = s.server.requests.length;
    const again = await makeTestContext(s.config);
    try {
      await task.run(again.ctx);
    } finally {
      await again.dispose();
    }
    assertEquals(s.server.requests.length, before, "cached downloads must be reused");
  } finally {
    await s.dispose();
  }
});

Deno.test("download-flowers: a cut connection keeps the partial file and the next run resumes with Range", async () => {
  const tgz = mini.files["102flowers.tgz"];
  const half = Math.floor(tgz.length / 2);
  const s = await setup(mini.files, { retries: 0 }, ["102flowers.tgz"]);
  try {
    await assertThrowsAsync(() => task.run(s.t.ctx), "102flowers.tgz", "connection broke", `kept in`);
    const part = `${s.downloads}/flowers102/102flowers.tgz.part`;
    assertEquals((await Deno.stat(part)).size, half, "partial bytes kept");
    const second = await makeTestContext(s.config);
    try {
      await task.run(second.ctx);
      const tgzRequests = s.server.requests.filter((r) => r.path === "102flowers.tgz");
      assertEquals(tgzRequests.map((r) => r.range), [null, `bytes=${half}-`]);
      assertEquals(md5(await Deno.readFile(`${s.downloads}/flowers102/102flowers.tgz`)), md5(tgz));
      assert(!(await exists(part)), "the .part file is renamed when complete");
      assertEquals(await listDir(`${second.ctx.outDir}/jpg`), ["image_00001.jpg", "image_00002.jpg", "image_00003.jpg"]);
    } finally {
      await second.dispose();
    }
  } finally {
    await s.dispose();
  }
});

Deno.test("download-flowers: within one run, a broken connection is retried from where it stopped", async () => {
  const s = await setup(mini.files, { retries: 1 }, ["imagelabels.mat", "102flowers.tgz"]);
  try {
    await task.run(s.t.ctx);
    const ranges = s.server.requests.filter((r) => r.path === "102flowers.tgz").map((r) => r.range);
    assertEquals(ranges, [null, `bytes=${Math.floor(mini.files["102flowers.tgz"].length / 2)}-`]);
    assertEquals(s.t.metrics?.count, 3);
  } finally {
    await s.dispose();
  }
});

Deno.test("download-flowers: an md5 mismatch errors with expected vs got and keeps nothing", async () => {
  const wrong = "0123456789abcdef0123456789abcdef";
  const s = await setup(mini.files, { md5_images: wrong });
  try {
    await assertThrowsAsync(() => task.run(s.t.ctx), "102flowers.tgz", `md5 expected ${wrong}, got ${md5(mini.files["102flowers.tgz"])}`, "deleted");
    assert(!(await exists(`${s.downloads}/flowers102/102flowers.tgz`)), "no verified file");
    assert(!(await exists(`${s.downloads}/flowers102/102flowers.tgz.part`)), "no partial file");
    assertEquals(await listDir(s.t.ctx.outDir), []);
  } finally {
    await s.dispose();
  }
});

Deno.test("download-flowers: truncated and path-traversal archives fail cleanly with an empty output", async () => {
  const tgz = mini.files["102flowers.tgz"];
  const truncated = tgz.subarray(0, Math.floor(tgz.length * 0.7));
  const traversal = await makeTarGz([{ name: "jpg/image_00001.jpg", data: mini.jpgs[0] }, { name: "../evil.jpg", data: mini.jpgs[1] }]);
  const absolute = await makeTarGz([{ name: "/etc/evil.jpg", data: mini.jpgs[1] }]);
  for (const [bad, message] of [[truncated, "truncated or corrupt"], [traversal, "'../evil.jpg' escapes"], [absolute, "'/etc/evil.jpg' has an absolute path"]] as const) {
    const s = await setup({ ...mini.files, "102flowers.tgz": bad }, { md5_images: md5(bad) });
    try {
      await assertThrowsAsync(() => task.run(s.t.ctx), "Cannot extract", message);
      assertEquals(await listDir(s.t.ctx.outDir), [], message);
      assert(!(await exists(`${s.t.ctx.outDir}/../evil.jpg`)), "nothing written outside");
    } finally {
      await s.dispose();
    }
  }
});

Deno.test("download-flowers: local_path uses an existing copy and never deletes it on mismatch", async () => {
  const local = await Deno.makeTempDir({ prefix: "ebm-flowers-local-" });
  try {
    for (const [name, bytes] of Object.entries(mini.files)) await Deno.writeFile(`${local}/${name}`, bytes);
    const t = await makeTestContext(task.config.parse({ local_path: local, ...mini.md5Config, mirror: "http://127.0.0.1:9/" }));
    try {
      assertEquals(task.externalInputs!(t.ctx.config), [local]);
      await task.run(t.ctx);
      assertEquals(t.metrics?.count, 3);
    } finally {
      await t.dispose();
    }
    const bad = await makeTestContext(task.config.parse({ local_path: local, ...mini.md5Config, md5_setid: "f".repeat(32) }));
    try {
      await assertThrowsAsync(() => task.run(bad.ctx), `'${local}/setid.mat'`, `md5 expected ${"f".repeat(32)}`);
      assert(await exists(`${local}/setid.mat`), "the user's file must stay");
    } finally {
      await bad.dispose();
    }
  } finally {
    await Deno.remove(local, { recursive: true });
  }
});

Deno.test("download-flowers: an unreachable host errors with the connection's reason and how to use a mirror or local copy", async () => {
  // A port that was just free: nothing listens there, so the connection is refused.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const downloads = await Deno.makeTempDir({ prefix: "ebm-downloads-" });
  const t = await makeTestContext(task.config.parse({ mirror: `http://127.0.0.1:${port}/`, download_dir: downloads, retries: 0 }));
  try {
    await assertThrowsAsync(() => task.run(t.ctx), `Cannot download 'http://127.0.0.1:${port}/102flowers.tgz'`, "refused", "'local_path'", "'mirror'");
    assertEquals(await listDir(t.ctx.outDir), []);
  } finally {
    await t.dispose();
    await Deno.remove(downloads, { recursive: true });
  }
});
