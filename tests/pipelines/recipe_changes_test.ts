/**
 * Issue 19 item 5: where a profile changes a recipe field of a training step (not a budget
 * field), the pipeline's `recipe_changes` entry for that profile says so, with the reason — and
 * every entry names a field the profile really changes. The lock carries the entries per step.
 */
import { assert, assertEquals } from "../assert.ts";
import { makePlan } from "../../lib/runner/plan.ts";
import { buildLockFile } from "../../lib/runner/provenance.ts";
import { loadPipelineFile } from "../../lib/runner/pipeline_file.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** Fields of `train-toy` that define the paper's recipe; the rest (iterations, grids, logging, KDE) are budget. */
const TOY_RECIPE = ["toy_type", "toy_groups", "toy_sd", "toy_radius", "net_type", "optimizer_type", "lr_init", "lr_min", "lr_decay", "epsilon", "num_mcmc_steps", "init_type", "s_t_0_size", "noise_init_factor", "batch_size"];

/** Fields of `train-ebm` that define the recipe; iterations, logging and long-run logging are budget. */
const IMAGE_RECIPE = ["data", "batch_size", "im_sz", "im_ch", "data_epsilon", "net_type", "optimizer_type", "lr_init", "lr_min", "lr_decay", "epsilon", "num_shortrun_steps", "shortrun_init", "n_f", "persistent_bank_size"];
/** Fields of `train-hybrid` that define the seed's recipe; epochs, validation, logging are budget. */
const HYBRID_RECIPE = ["batch_size", "langevin_steps", "langevin_alpha", "langevin_sigma", "lr", "lr_decay", "lr_min", "energy_sign", "generative_weight", "energy_l2", "langevin_clamp", "classes", "hidden"];
/** Fields of `train-fce` that define the FCE seed's recipe; steps, evaluation, grids and logging are budget. */
const FCE_RECIPE = ["flow", "threshold", "batch", "lr_ebm", "lr_flow", "b1", "b2", "ebm_hidden", "maf_blocks", "maf_hidden", "maf_n_hidden", "glow_width", "glow_depth", "glow_levels"];
/** Fields of `train-vera-toy` that define VERA's recipe (the seed's knobs); iterations, the decay epochs that scale with them, grids and logging are budget. */
const VERA_TOY_RECIPE = ["lr", "glr", "beta1", "beta2", "weight_decay", "batch_size", "decay_rate", "warmup_iters", "noise_dim", "h_dim", "min_sigma", "max_sigma", "generator_type", "ent_weight", "clf_weight", "clf_ent_weight", "mcmc_lr", "post_lr", "p_control", "n_control", "pg_control", "e_iters", "g_iters", "num_samples_posterior", "hmc_burn_in", "hmc_num_samples", "hmc_leapfrog_steps", "hmc_target_accept", "init_sigma", "init_post_sigma"];
/** Fields of `train-pcd-toy` that define the baseline's recipe. */
const PCD_TOY_RECIPE = ["batch_size", "epsilon", "num_mcmc_steps", "s_t_0_size", "bank_init_range", "optimizer_type", "lr_init", "h_dim"];
const RECIPE: Record<string, string[]> = { "train-toy": TOY_RECIPE, "train-ebm": IMAGE_RECIPE, "train-hybrid": HYBRID_RECIPE, "train-fce": FCE_RECIPE, "train-vera-toy": VERA_TOY_RECIPE, "train-pcd-toy": PCD_TOY_RECIPE };

for (const pipeline of ["anatomy-toy", "anatomy-fashion", "basins-fashion", "anatomy-flowers", "basins-flowers", "hybrid-fashion", "fce-2d", "vera-toy"]) {
  Deno.test(`${pipeline}: every recipe change of a profile is declared with its reason, and every declaration is real`, async () => {
    const paper = await makePlan({ root, pipeline, profile: "paper", sets: [], backend: "cpu" });
    const spec = await loadPipelineFile(root, pipeline);
    let checked = 0;
    for (const profile of ["cpu", "smoke"]) {
      const planned = await makePlan({ root, pipeline, profile, sets: [], backend: "cpu" });
      const declared = spec.recipeChanges[profile] ?? {};
      for (const id of planned.order) {
        const fields = RECIPE[planned.steps[id].task.name];
        if (!fields) continue;
        checked++;
        const now = planned.steps[id].config as Record<string, unknown>, base = paper.steps[id].config as Record<string, unknown>;
        const changed = fields.filter((f) => JSON.stringify(now[f]) !== JSON.stringify(base[f]));
        assertEquals(Object.keys(declared[id] ?? {}).sort(), changed.sort(), `${profile}/${id}: recipe_changes must list exactly the recipe fields the profile changes`);
        for (const why of Object.values(declared[id] ?? {})) assert(why.length > 15, `${profile}/${id}: give the reason, not just the value ('${why}')`);
      }
    }
    assert(checked >= 2, `${pipeline}: no training steps found`);
    assertEquals(spec.recipeChanges.paper, undefined, "the paper profile changes nothing");
  });
}

Deno.test("anatomy-toy: the non-convergent cpu runs keep the paper's Adam lr and short-run length (issue 22); the convergent bank cut is declared", async () => {
  const cpu = await makePlan({ root, pipeline: "anatomy-toy", profile: "cpu", sets: [], backend: "cpu" });
  for (const id of ["gmm-nonconvergent", "rings-nonconvergent"]) {
    const c = cpu.steps[id].config as Record<string, unknown>;
    assertEquals([c.optimizer_type, c.lr_init, c.lr_min, c.num_mcmc_steps], ["adam", 1e-4, 1e-4, 100], id);
  }
  const spec = await loadPipelineFile(root, "anatomy-toy");
  assert(spec.recipeChanges.cpu["gmm-convergent"].s_t_0_size.includes("10000 → 1000"), "s_t_0_size change declared");
});

Deno.test("recipe changes travel in the lock, per step (matrix variants inherit their step's)", () => {
  const step = { task: { name: "train-toy", usesTensors: true }, fingerprint: "f".repeat(64), fields: {} as never };
  const outcome = { status: "ran" as const, started: null, seconds: 1, manifest: { files: {} }, metrics: null };
  const lock = buildLockFile({
    pipeline: { name: "p", recipeChanges: { cpu: { train: { lr_init: "faster: fewer steps" } } } },
    profile: "cpu", order: ["train__seed-1", "plot"], previous: null, backend: null, backendError: null,
    steps: { "train__seed-1": step, plot: { ...step, task: { name: "plot-x", usesTensors: false } } },
  }, { "train__seed-1": outcome, plot: outcome }, new Date());
  assertEquals(lock.steps["train__seed-1"].recipe_changes, { lr_init: "faster: fewer steps" });
  assertEquals(lock.steps.plot.recipe_changes, undefined);
});

Deno.test("recipe_changes: an unknown step or a missing reason is an error naming the place", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/pipelines`);
    const write = (changes: string) => Deno.writeTextFile(`${dir}/pipelines/p.yaml`, `profiles:\n  cpu:\n    recipe_changes: ${changes}\nsteps:\n  train: { task: demo-generate }\n`);
    await write(`{ trian: { lr_init: "a reason that is long enough" } }`);
    let message = "";
    await loadPipelineFile(dir, "p").catch((e) => (message = (e as Error).message));
    assert(message.includes("profiles.cpu.recipe_changes.trian: unknown step 'trian'") && message.includes("p.yaml:3"), message);
    await write(`{ train: { lr_init: 3 } }`);
    await loadPipelineFile(dir, "p").catch((e) => (message = (e as Error).message));
    assert(message.includes("profiles.cpu.recipe_changes.train.lr_init: expected the reason as text, got 3"), message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
