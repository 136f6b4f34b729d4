/**
 * pipelines/hybrid-fashion.yaml and hybrid-mnist.yaml (SPEC §6): the three runs differ only in the
 * sign and the generative weight; profiles keep the seed's recipe and cut only the budget; the
 * MNIST data steps download from a mirror (tested against a local server); and the smoke profile
 * runs end to end through the CLI into one report.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { assert, assertEquals } from "../assert.ts";
import { makePlan, type Plan } from "../../lib/runner/plan.ts";
import { loadPipelineFile } from "../../lib/runner/pipeline_file.ts";
import mnistTask from "../../tasks/mnist.ts";
import { readImageDataset } from "../../lib/data/dataset_file.ts";
import { makeTestContext } from "../task_context.ts";
import { serveFiles } from "../data/server.ts";
import { idx } from "../data/idx_fixture.ts";
import { repoRoot, runCli } from "../runner/rig.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

// hybrid-mnist downloads MNIST (no network here): planning it needs a local copy (only presence is checked).
const mnistDir = await Deno.makeTempDir({ prefix: "hybrid-mnist-plan-" });
for (const split of ["train", "t10k"]) for (const kind of ["images-idx3", "labels-idx1"]) await Deno.writeTextFile(join(mnistDir, `${split}-${kind}-ubyte`), "placeholder\n");
globalThis.addEventListener("unload", () => Deno.removeSync(mnistDir, { recursive: true }));

function plan(pipeline: string, profile: string | null, sets: string[] = []): Promise<Plan> {
  const local = pipeline === "hybrid-mnist" && sets.length === 0 ? [`data.local_path=${mnistDir}`, `data-test.local_path=${mnistDir}`] : [];
  return makePlan({ root, pipeline, profile, sets: [...local, ...sets], backend: "cpu" });
}

const RUNS = { train: { energy_sign: "jem", generative_weight: 1 }, "train-baseline": { energy_sign: "jem", generative_weight: 0 }, "train-seed-sign": { energy_sign: "seed", generative_weight: 1 } };

Deno.test("hybrid pipelines: hybrid, baseline and seed-sign differ only in sign and generative weight; 28×28 without resize", async () => {
  for (const pipeline of ["hybrid-fashion", "hybrid-mnist"]) {
    for (const profile of ["paper", "cpu", "smoke"]) {
      const p = await plan(pipeline, profile);
      const where = `${pipeline} --profile ${profile}`;
      for (const data of ["data", "data-test"]) {
        assertEquals([p.steps[data].config.im_sz, p.steps[data].config.fit, p.steps[data].config.im_ch], [28, "pad", 1], `${where}: ${data}`);
      }
      assertEquals(p.steps["data-test"].config.split, "test", `${where}: data-test.split`);
      const strip = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== "energy_sign" && k !== "generative_weight"));
      // The cpu profile down-weights the contrastive term (configs/profiles/hybrid.cpu.yaml says why).
      const weight = profile === "cpu" ? 0.1 : 1;
      for (const [id, want] of Object.entries(RUNS)) {
        const c = p.steps[id].config as Record<string, unknown>;
        assertEquals([c.energy_sign, c.generative_weight], [want.energy_sign, want.generative_weight && weight], `${where}: ${id}`);
        assertEquals(strip(c), strip(p.steps.train.config as Record<string, unknown>), `${where}: ${id} has the hybrid run's other settings`);
      }
      for (const id of ["eval", "eval-baseline", "eval-seed-sign"]) assert(p.steps[id].spec.needs.includes("data-test"), `${where}: ${id} evaluates on the test split`);
    }
  }
});

Deno.test("hybrid pipelines: the paper profile is the seed's config file (15 epochs, batch 64, η 50, α 0.5, σ 0.05, Adam 1e-3)", async () => {
  for (const pipeline of ["hybrid-fashion", "hybrid-mnist"]) {
    const c = (await plan(pipeline, "paper")).steps.train.config;
    assertEquals([c.epochs, c.batch_size, c.langevin_steps, c.langevin_alpha, c.langevin_sigma, c.lr], [15, 64, 50, 0.5, 0.05, 1e-3]);
    assertEquals([c.energy_l2, c.langevin_clamp, c.hidden, c.lr_decay], [0, "final", [512, 512, 512], 1]);
    const cpu = (await plan(pipeline, "cpu")).steps.train.config;
    assertEquals([cpu.batch_size, cpu.langevin_alpha, cpu.langevin_sigma, cpu.lr, cpu.hidden, cpu.validation_size], [64, 0.5, 0.05, 1e-3, [512, 512, 512], 5000], "cpu keeps the recipe and the full split");
  }
});

Deno.test("hybrid-mnist declares the same recipe changes as hybrid-fashion (same profiles; the check itself: recipe_changes_test.ts)", async () => {
  const [mnist, fashion] = await Promise.all(["hybrid-mnist", "hybrid-fashion"].map((p) => loadPipelineFile(root, p)));
  assertEquals(mnist.recipeChanges, fashion.recipeChanges);
  assert(Object.keys(fashion.recipeChanges.cpu.train).includes("lr_decay"), "the cpu profile's schedule is declared");
});

Deno.test("hybrid-mnist: the data steps download MNIST from the configured mirror (local server), md5-checked", async () => {
  const pixels = Uint8Array.from({ length: 4 * 784 }, (_, i) => (i * 31) % 256);
  const server = serveFiles({
    "train-images-idx3-ubyte.gz": new Uint8Array(gzipSync(idx([4, 28, 28], pixels))),
    "train-labels-idx1-ubyte.gz": new Uint8Array(gzipSync(idx([4], Uint8Array.of(1, 2, 3, 4)))),
    "t10k-images-idx3-ubyte.gz": new Uint8Array(gzipSync(idx([4, 28, 28], pixels))),
    "t10k-labels-idx1-ubyte.gz": new Uint8Array(gzipSync(idx([4], Uint8Array.of(5, 6, 7, 8)))),
  });
  const downloads = await Deno.makeTempDir({ prefix: "hybrid-mnist-" });
  try {
    // Planning finds the mirror reachable (no local copy, no system package): the step downloads.
    const p = await plan("hybrid-mnist", "cpu", [`data.mirror=${server.base}`, `data.download_dir=${downloads}`, `data-test.mirror=${server.base}`]);
    const config = p.steps.data.config as Record<string, unknown>;
    assertEquals(config.local_path, null, "hybrid-mnist downloads");
    assert((config.sources as string[]).includes("download"), `sources ${config.sources}`);
    // The published md5 sums reject the stand-in files: the check is on.
    const strict = await makeTestContext(mnistTask.config.parse(config));
    try {
      let message = "";
      await mnistTask.run(strict.ctx).catch((e) => (message = String(e)));
      assert(message.includes("md5 expected f68b3c2dcbeaaa9fbdd348bbdeb94873"), message);
    } finally {
      await strict.dispose();
    }
    const t = await makeTestContext(mnistTask.config.parse({ ...config, verify_md5: false }));
    try {
      await mnistTask.run(t.ctx);
      const ds = await readImageDataset(`${t.ctx.outDir}/data.safetensors`);
      assertEquals(ds.shape, [4, 28, 28, 1]);
      assertEquals(Array.from(ds.labels!), [1, 2, 3, 4]);
    } finally {
      await t.dispose();
    }
    assert(server.requests.some((r) => r.path === "train-images-idx3-ubyte.gz"), "downloaded from the local mirror");
  } finally {
    await server.close();
    await Deno.remove(downloads, { recursive: true });
  }
});

Deno.test("hybrid-fashion: the smoke profile runs end to end through the CLI into one report", async () => {
  const scratch = await Deno.makeTempDir({ prefix: "hybrid-smoke-" });
  try {
    for (const dir of ["tasks", "lib", "configs", "pipelines", "data"]) await Deno.symlink(join(repoRoot, dir), join(scratch, dir));
    const run = await runCli(scratch, ["pipeline", "hybrid-fashion", "--profile", "smoke", "--backend", "cpu", "--json"]);
    assertEquals(run.code, 0, run.stderr);
    const steps = JSON.parse(run.stdout).steps as { id: string; status: string }[];
    assert(steps.every((s) => s.status === "ran"), JSON.stringify(steps));
    const plot = join(scratch, "outputs/hybrid-fashion/plot");
    const files = [...Deno.readDirSync(plot)].map((e) => e.name);
    for (const f of ["comparison.png", "eval-conditional.png", "eval-seed-sign-reliability.png", "train-baseline-training.png"]) assert(files.includes(f), `plot has ${f}: ${files}`);
    const metrics = JSON.parse(await Deno.readTextFile(join(plot, "metrics.json")));
    for (const run of ["train", "train-baseline", "train-seed-sign"]) assert(typeof metrics[`${run}_test_accuracy`] === "number", `${run} accuracy in ${JSON.stringify(metrics)}`);
    const report = await Deno.readTextFile(join(scratch, "outputs/hybrid-fashion/report.html"));
    for (const id of ["train-baseline", "eval-seed-sign", "comparison.png"]) assert(report.includes(id), `the report shows ${id}`);
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
});
