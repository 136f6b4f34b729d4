/**
 * pipelines/vera-ssl.yaml and vera-fashion.yaml (SPEC §7): the semi-supervised run and its
 * supervised-only baseline differ only in `supervised_only`; the UCI sets are selectable at plan
 * level and the tabular-data task reads them through its download path (a local server); the
 * JEM variant trains exactly hybrid-fashion's MLP and is evaluated with hybrid-fashion's sampler;
 * and both smoke profiles run end to end through the CLI.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { makePlan } from "../../lib/runner/plan.ts";
import { makeTestContext } from "../task_context.ts";
import { serveFiles } from "../data/server.ts";
import { repoRoot, runCli } from "../runner/rig.ts";
import tabularData from "../../tasks/tabular-data.ts";
import { readTabularFile } from "../../lib/artifacts/tabular_file.ts";
import { loadHybridNetwork } from "../../lib/artifacts/hybrid_model.ts";
import { initBackend } from "../../lib/tensor/backend.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
// loadHybridNetwork builds the network in this process.
await initBackend("cpu");

Deno.test("vera-ssl: the baseline is the same run with supervised_only; 10 labels per class; the UCI sets are a --set away", async () => {
  for (const profile of ["paper", "cpu", "smoke"]) {
    const p = await makePlan({ root, pipeline: "vera-ssl", profile, sets: [], backend: "cpu" });
    const vera = p.steps.vera.config as Record<string, unknown>, base = p.steps["supervised-only"].config as Record<string, unknown>;
    assertEquals([vera.supervised_only, base.supervised_only, vera.labels_per_class], [false, true, 10], profile);
    // clf_ent_weight is a term on the unlabelled rows, which the baseline does not see.
    assertEquals({ ...base, supervised_only: false, clf_ent_weight: vera.clf_ent_weight }, vera, `${profile}: otherwise identical`);
    assertEquals([vera.hidden, vera.activation], [[1000, 500, 500, 250, 250, 250], "leaky_relu"], "the seed's tabular EBM");
    assertEquals(p.steps.features.config.components, 50);
  }
  const uci = await makePlan({ root, pipeline: "vera-ssl", profile: "cpu", sets: ["features.dataset=human", "features.local_path=/data/HUMAN"], backend: "cpu" });
  assertEquals([uci.steps.features.config.dataset, uci.steps.features.config.local_path], ["human", "/data/HUMAN"]);
});

Deno.test("tabular-data: HEPMASS through the task's download path (local server) into tabular.safetensors", async () => {
  const fix = new URL("../fixtures/tabular/", import.meta.url).pathname;
  const server = serveFiles({ "1000_train.csv.gz": await Deno.readFile(fix + "1000_train.csv.gz"), "1000_test.csv.gz": await Deno.readFile(fix + "1000_test.csv.gz") });
  const downloads = await Deno.makeTempDir({ prefix: "tabular-task-" });
  const t = await makeTestContext(tabularData.config.parse({ dataset: "hepmass", base_url: server.base, download_dir: downloads }), { seed: 3 });
  try {
    await tabularData.run(t.ctx);
    const set = await readTabularFile(join(t.ctx.outDir, "tabular.safetensors"));
    assertEquals([set.dataset, set.classes, set.pca], ["hepmass", 2, undefined]);
    assert(set.train.y.length > 0 && set.val.y.length > 0 && set.test.y.length > 0, "three splits");
    assert(server.requests.some((r) => r.path === "1000_train.csv.gz"), "downloaded");
  } finally {
    await t.dispose();
    await server.close();
    await Deno.remove(downloads, { recursive: true });
  }
});

Deno.test("vera-fashion: hybrid-fashion's MLP and generator 128→500×3→784 tanh; eval with hybrid-fashion cpu's sampler", async () => {
  const hybrid = await makePlan({ root, pipeline: "hybrid-fashion", profile: "cpu", sets: [], backend: "cpu" });
  for (const profile of ["paper", "cpu", "smoke"]) {
    const p = await makePlan({ root, pipeline: "vera-fashion", profile, sets: [], backend: "cpu" });
    const c = p.steps.train.config as Record<string, unknown>;
    assertEquals([c.hidden, c.activation, c.classes, c.noise_dim, c.generator_output], [[512, 512, 512], "elu", 10, 128, "tanh"], profile);
    const e = p.steps.eval.config as Record<string, unknown>, h = hybrid.steps.train.config as Record<string, unknown>;
    assertEquals([e.langevin_steps, e.langevin_alpha, e.langevin_sigma, e.langevin_clamp], [h.langevin_steps, h.langevin_alpha, h.langevin_sigma, h.langevin_clamp], `${profile}: hybrid-fashion cpu's sampler`);
  }
});

for (const pipeline of ["vera-ssl", "vera-fashion"]) {
  Deno.test(`${pipeline}: the smoke profile runs end to end through the CLI into one report`, async () => {
    const scratch = await Deno.makeTempDir({ prefix: `${pipeline}-smoke-` });
    try {
      for (const dir of ["tasks", "lib", "configs", "pipelines", "data"]) await Deno.symlink(join(repoRoot, dir), join(scratch, dir));
      const run = await runCli(scratch, ["pipeline", pipeline, "--profile", "smoke", "--backend", "cpu", "--json"]);
      assertEquals(run.code, 0, run.stderr);
      const steps = JSON.parse(run.stdout).steps as { id: string; status: string }[];
      assert(steps.every((s) => s.status === "ran"), JSON.stringify(steps));
      const out = join(scratch, "outputs", pipeline);
      const metrics = (id: string) => JSON.parse(Deno.readTextFileSync(join(out, id, "metrics.json")));
      if (pipeline === "vera-ssl") {
        const set = await readTabularFile(join(out, "features/tabular.safetensors"));
        assertEquals([set.d, set.pca?.variance.length, set.pca?.mean.length], [50, 50, 784], "50 principal components of 28×28 images");
        for (const id of ["vera", "supervised-only"]) {
          const m = metrics(id);
          assert(typeof m.test_accuracy === "number" && m.labelled_rows === 100, `${id}: ${JSON.stringify(m)}`);
        }
      } else {
        const { model } = await loadHybridNetwork(join(out, "train/model.safetensors"));
        assertEquals([model.size.inputs, model.size.hidden, model.size.classes, model.size.activation], [784, [512, 512, 512], 10, "elu"]);
        assert(typeof metrics("eval").test_accuracy === "number", "eval-hybrid evaluated the VERA model");
        assert(typeof metrics("train").seconds_per_epoch === "number", "seconds per epoch");
        const files = [...Deno.readDirSync(join(out, "plot"))].map((e) => e.name);
        for (const f of ["train-negatives.png", "eval-unconditional.png", "eval-reliability.png"]) assert(files.includes(f), `plot has ${f}: ${files}`);
      }
      const report = await Deno.readTextFile(join(out, "report.html"));
      assert(report.includes(pipeline === "vera-ssl" ? "supervised-only" : "eval"), "the report shows the runs");
    } finally {
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  });
}
