/**
 * pipelines/fce-2d.yaml: six datasets × {MAF, Glow} FCE runs, figures and a report. Planning
 * checks that profiles cut only the budget (never the seed's recipe, but for the cpu profile's declared
 * rings change) and that each run reads its
 * own dataset; one smoke run of the 8gaussians branch through the CLI checks the outputs other
 * steps and users rely on (the full smoke pipeline is 20 processes: too slow for the suite).
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { makePlan, type Plan } from "../../lib/runner/plan.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { readFceDensities, readFceMetrics } from "../../lib/artifacts/fce_files.ts";
import { FCE_DATASETS } from "../../lib/data/toy_2d.ts";
import plotFce from "../../tasks/plot-fce.ts";
import { makeTestContext } from "../task_context.ts";
import { repoRoot, runCli } from "../runner/rig.ts";

function plan(profile: string | null): Promise<Plan> {
  return makePlan({ root: repoRoot, pipeline: "fce-2d", profile, sets: [], backend: "cpu" });
}

Deno.test("fce-2d: twelve runs (maf, glow × six datasets), each on its own dataset; profiles keep the seed's recipe (cpu: rings' declared change only)", async () => {
  for (const profile of ["paper", "cpu", "smoke"]) {
    const p = await plan(profile);
    for (const d of FCE_DATASETS) {
      assertEquals(p.steps[`data-${d}`].config.dataset, d, `${profile}: data-${d}`);
      for (const flow of ["maf", "glow"]) {
        const id = `fce-${flow}-${d}`, c = p.steps[id].config;
        assertEquals(p.steps[id].task.name, "train-fce", id);
        assertEquals(p.steps[id].spec.needs, [`data-${d}`], `${profile}: ${id} needs`);
        // The cpu profile's one declared recipe change: rings (threshold and EBM lr; README, FCE).
        const [threshold, lrEbm] = profile === "cpu" && d === "rings" ? [0.7, flow === "glow" ? 1e-2 : 3e-3] : [0.6, 1e-3];
        assertEquals([c.flow, c.threshold, c.lr_ebm, c.lr_flow, c.b1, c.b2], [flow, threshold, lrEbm, 7e-4, 0.9, 0.999], `${profile}: ${id} recipe`);
        if (profile !== "smoke") {
          assertEquals([c.batch, c.ebm_hidden, c.maf_blocks, c.maf_hidden, c.maf_n_hidden, c.glow_width, c.glow_depth, c.glow_levels], [1000, 128, 5, 100, 1, 64, 5, 1], `${profile}: ${id} sizes`);
          assertEquals([p.steps[`data-${d}`].config.n_samples, c.eval_samples], [500_000, 100_000], `${profile}: ${id} data sizes`);
        }
      }
    }
    assertEquals(p.steps.figures.spec.needs.length, 18, `${profile}: figures see six datasets and twelve runs`);
  }
  const paper = (await plan("paper")).steps["fce-glow-8gaussians"].config;
  assertEquals([paper.epochs, paper.steps], [100, null], "paper: the seed's 100 epochs");
  assertEquals((await plan(null)).profile, "cpu", "default profile on a CPU backend");
});

Deno.test("fce-2d --profile smoke: the 8gaussians runs write their models, metrics and grids; plot-fce draws them", async () => {
  const root = await Deno.makeTempDir({ prefix: "fce-2d-smoke-" });
  try {
    for (const dir of ["tasks", "lib", "configs", "pipelines"]) await Deno.symlink(join(repoRoot, dir), join(root, dir));
    const args = ["pipeline", "fce-2d", "--profile", "smoke", "--until", "fce-maf-8gaussians", "--until", "fce-glow-8gaussians", "--backend", "cpu", "--jobs", "2", "--json"];
    const first = await runCli(root, args);
    assertEquals(first.code, 0, first.stderr);
    const inputs = [];
    for (const flow of ["maf", "glow"]) {
      const dir = join(root, `outputs/fce-2d/fce-${flow}-8gaussians`);
      inputs.push({ id: `fce-${flow}-8gaussians`, task: "train-fce", dir });
      const ebm = await readSafetensors(join(dir, "ebm.safetensors"));
      assertEquals(Object.fromEntries(Object.entries(ebm.tensors).map(([k, t]) => [k, t.shape])), {
        "f.0.weight": [128, 2], "f.0.bias": [128], "f.2.weight": [128, 128], "f.2.bias": [128], "f.4.weight": [1, 128], "f.4.bias": [1], c: [1],
      }, `${flow}: ebm.safetensors keys and PyTorch shapes`);
      const flowFile = await readSafetensors(join(dir, "flow.safetensors"));
      assert(flow === "maf" ? "net.4.net.3.weight" in flowFile.tensors : "flowstep.4.2.fc3.weight" in flowFile.tensors, `${flow}: flow.safetensors keys`);
      const records = await readFceMetrics(join(dir, "metrics.jsonl"));
      assertEquals(records.map((r) => r.iter), [1, 2, 3, 4, 5, 6]);
      assertEquals(records[0].model, "ebm", "the first step trains the EBM");
      assertEquals(records.filter((r) => r.mse_logp !== undefined).map((r) => r.iter), [3, 6], `${flow}: mse_logp every eval_freq steps`);
      const summary = JSON.parse(await Deno.readTextFile(join(dir, "metrics.json")));
      for (const key of ["neg_value_last", "accuracy_last", "mse_logp", "ebm_step_fraction"]) assert(Number.isFinite(summary[key]), `${flow}: metrics.json ${key} = ${summary[key]}`);
      const grids = await readFceDensities(join(dir, "densities.safetensors"));
      assertEquals([grids.resolution, grids.extent, grids.metadata.dataset], [24, 4, "8gaussians"]);
    }
    inputs.push({ id: "data-8gaussians", task: "toy-2d", dir: join(root, "outputs/fce-2d/data-8gaussians") });
    const again = await runCli(root, args);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(JSON.parse(again.stdout).steps.map((s: { status: string }) => s.status), ["cached", "cached", "cached"]);

    const t = await makeTestContext(plotFce.config.parse({ data_bins: 24, png_scale: 1 }), { inputs });
    try {
      await plotFce.run(t.ctx);
      for (const name of ["curves", "density-fce-maf-8gaussians", "density-fce-glow-8gaussians"]) {
        const png = await Deno.readFile(join(t.ctx.outDir, `${name}.png`));
        assertEquals(Array.from(png.subarray(1, 4)), [80, 78, 71], `${name}.png is a PNG`);
      }
      assertEquals(t.metrics?.runs, 2);
    } finally {
      await t.dispose();
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
