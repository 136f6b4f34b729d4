/**
 * The data-source order of the MNIST-family tasks (lib/data/idx_source.ts): local → Debian →
 * download → embedded, each chosen only when the earlier ones lack the files, with the message a
 * user reads for each, and the plan-time error naming every place looked at.
 */
import fashionTask from "../../tasks/fashion-mnist.ts";
import { FASHION_MNIST, planSource, type SourceConfig } from "../../lib/data/idx_source.ts";
import { readImageDataset } from "../../lib/data/dataset_file.ts";
import { makePlan } from "../../lib/runner/plan.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTestContext } from "../task_context.ts";
import { serveFiles } from "./server.ts";
import { gzipSync } from "node:zlib";
import { idx } from "./idx_fixture.ts";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));


/** A train split of 2 images (pixel value = 10·image + 1) in IDX .gz form. */
const TRAIN = {
  "train-images-idx3-ubyte.gz": new Uint8Array(gzipSync(idx([2, 28, 28], new Uint8Array(2 * 784).map((_, i) => 10 * Math.floor(i / 784) + 1)))),
  "train-labels-idx1-ubyte.gz": new Uint8Array(gzipSync(idx([2], new Uint8Array([4, 2])))),
};

async function dirWith(files: Record<string, Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ebm-src-" });
  for (const [name, bytes] of Object.entries(files)) await Deno.writeFile(`${dir}/${name}`, bytes);
  return dir;
}

/** A URL on 127.0.0.1 where nothing listens (a port that was just free). */
function closedMirror(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `http://127.0.0.1:${port}/`;
}

function config(over: Partial<SourceConfig>): SourceConfig {
  return {
    sources: ["local", "debian", "download"],
    local_path: null,
    debian_path: "/nonexistent/debian-fashion-mnist/",
    mirror: closedMirror(),
    download_dir: "/nonexistent/downloads",
    connect_timeout_s: 2,
    ...over,
  };
}

Deno.test("data sources: local → Debian → download → embedded, each with its reason", async () => {
  const local = await dirWith(TRAIN);
  const debian = await dirWith(TRAIN);
  const empty = await Deno.makeTempDir({ prefix: "ebm-src-empty-" });
  const downloads = await Deno.makeTempDir({ prefix: "ebm-src-dl-" });
  const server = serveFiles(TRAIN);
  try {
    // 1. An explicit path wins over everything.
    let c = await planSource(FASHION_MNIST, config({ local_path: local, debian_path: debian }), "train");
    assertEquals([c.kind, c.dir, c.inputs], ["local", local, [local]]);
    assert(c.why.includes(`Using '${local}' (config 'local_path'`), c.why);

    // 2. No usable local path: the system package's copy, saying why the local path was passed over.
    c = await planSource(FASHION_MNIST, config({ local_path: empty, debian_path: debian }), "train");
    assertEquals([c.kind, c.dir, c.inputs], ["debian", debian, [debian]]);
    assert(c.why.includes(`Using the system package's copy in '${debian}'`) && c.why.includes(`'${empty}' (config 'local_path') lacks train-images-idx3-ubyte(.gz)`), c.why);

    // 3. Neither: the canonical download (reachable mirror), then the task downloads and reads it.
    const dl = config({ mirror: server.base, download_dir: downloads });
    c = await planSource(FASHION_MNIST, dl, "train");
    assertEquals([c.kind, c.dir, c.inputs], ["download", null, []]);
    assert(c.why.startsWith(`Downloading from ${server.base}`) && c.why.includes("'/nonexistent/debian-fashion-mnist/' is missing (sudo apt-get install dataset-fashion-mnist)"), c.why);
    const t = await makeTestContext(fashionTask.config.parse({ ...dl, verify_md5: false, im_sz: 28 }));
    try {
      await fashionTask.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals([ds.shape, Array.from(ds.labels!), ds.metadata.data_source], [[2, 28, 28, 1], [4, 2], "download"]);
      assert(t.logs.some((l) => l.includes(`Downloading from ${server.base}`)), t.logs.join("\n"));
    } finally {
      await t.dispose();
    }
    // Once downloaded, the cache is used without asking the mirror.
    c = await planSource(FASHION_MNIST, { ...dl, mirror: closedMirror() }, "train");
    assert(c.kind === "download" && c.why.startsWith("Using the downloads cached in"), c.why);

    // 4. Nothing reachable, the embedded sample allowed: it is used, as a labelled stand-in.
    c = await planSource(FASHION_MNIST, config({ sources: ["local", "debian", "download", "embedded"] }), "train");
    assertEquals([c.kind, c.inputs, c.range], ["embedded", ["data/fashion-mnist"], [0, 8000]]);
    assert(c.why.includes("split 'train' is its images 0–7999, a fixed stand-in, not the real train split") && c.why.includes("cannot be reached"), c.why);

    // 5. Offline with no embedded sample allowed: one error naming all three places and the ways out.
    await assertThrowsAsync(
      () => planSource(FASHION_MNIST, config({ local_path: empty }), "train"),
      "Cannot find fashion-mnist's train split. Looked at: 1. '" + empty + "' (config 'local_path') lacks",
      "2. '/nonexistent/debian-fashion-mnist/' is missing (sudo apt-get install dataset-fashion-mnist)",
      "3. the mirror http://127.0.0.1:",
      "cannot be reached (",
      "(not tried, as sources: [local, debian, download]: embedded)",
      "or run a smoke profile (--profile smoke), which uses the embedded 10,000-image sample",
    );
  } finally {
    await server.close();
    for (const d of [local, debian, empty, downloads]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("data sources: a mirror that does not answer counts as unreachable after connect_timeout_s", async () => {
  // A listener that accepts and never answers: the probe gives up after the timeout.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const started = performance.now();
    await assertThrowsAsync(
      () => planSource(FASHION_MNIST, config({ mirror: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`, connect_timeout_s: 0.5 }), "train"),
      "cannot be reached (no answer within 0.5 s)",
    );
    assert(performance.now() - started < 5000, "the probe waits about connect_timeout_s, not longer");
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("data sources: the embedded sample is the published test split, split 8,000 / 2,000", async () => {
  for (const [split, first, count] of [["train", 0, 8000], ["test", 8000, 2000]] as const) {
    const t = await makeTestContext(fashionTask.config.parse({ sources: ["embedded"], split, im_sz: 28, fit: "pad" }));
    try {
      await fashionTask.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [count, 28, 28, 1]);
      assertEquals(ds.metadata.data_source, "embedded");
      assertEquals(ds.metadata.source, `fashion-mnist:${split} (embedded sample: test-split images ${first}–${first + count - 1} stand in for '${split}')`);
      assertEquals(t.metrics?.source, ds.metadata.source, "the label reaches metrics.json");
      const counts = new Array(10).fill(0);
      for (const label of ds.labels!) counts[label]++;
      assertEquals(counts.reduce((a, b) => a + b, 0), count);
      assert(counts.every((n) => n > count / 20), `every class is present: ${counts}`);
    } finally {
      await t.dispose();
    }
  }
});

Deno.test("data sources: smoke profiles use the embedded sample even where the full dataset is installed; cpu does not", async () => {
  for (const pipeline of ["basins-fashion", "anatomy-fashion"]) {
    const smoke = await makePlan({ root, pipeline, profile: "smoke", sets: [], backend: "cpu" });
    assertEquals(smoke.steps.data.config.sources, ["embedded"], pipeline);
    assertEquals(Object.keys(smoke.steps.data.fields.external), ["data/fashion-mnist"], `${pipeline}: the sample is fingerprinted by a checkout-relative path`);
  }
  // cpu without any full copy reachable stops at plan time, at the step, with the ways to get it.
  await assertThrowsAsync(
    () => makePlan({ root, pipeline: "basins-fashion", profile: "cpu", sets: ["data.debian_path=/nonexistent/", `data.mirror=${closedMirror()}`], backend: "cpu" }),
    "pipelines/basins-fashion.yaml:",
    "steps.data: Cannot find fashion-mnist's train split",
    "sudo apt-get install dataset-fashion-mnist",
  );
});
