/**
 * pipelines/anatomy-fashion.yaml: the paper's non-convergent recipe (and the convergent one) on
 * 1-channel Fashion-MNIST. Profiles may cut the budget but never the recipe; the short-run eval
 * samples the way the model was trained; the data and convergent training steps are the same
 * cached outputs as basins-fashion's. Planning only: nothing runs, so this stays fast.
 */
import { assert, assertEquals } from "../assert.ts";
import { makePlan, type Plan } from "../../lib/runner/plan.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const profiles = ["paper", "cpu", "smoke"];

function plan(pipeline: string, profile: string | null): Promise<Plan> {
  return makePlan({ root, pipeline, profile, sets: [], backend: "cpu" });
}

Deno.test("anatomy-fashion: every step trains or samples a 1-channel 32×32 model on Fashion-MNIST", async () => {
  for (const profile of profiles) {
    const p = await plan("anatomy-fashion", profile);
    assertEquals(p.steps.data.task.name, "fashion-mnist", `--profile ${profile}: data task`);
    assertEquals(p.steps.data.config.im_ch, 1, `--profile ${profile}: data im_ch`);
    for (const id of ["train-nonconvergent", "train-convergent"]) {
      assertEquals(p.steps[id].config.data, "fashion-mnist", `--profile ${profile}: ${id}.data`);
      assertEquals(p.steps[id].config.im_ch, 1, `--profile ${profile}: ${id}.im_ch`);
      assertEquals(p.steps[id].config.im_sz, 32, `--profile ${profile}: ${id}.im_sz`);
    }
    for (const id of ["shortrun-nonconvergent", "longrun-nonconvergent", "longrun-convergent"]) {
      assertEquals(p.steps[id].config.im_ch, 1, `--profile ${profile}: ${id}.im_ch`);
    }
  }
});

Deno.test("anatomy-fashion: profiles keep the paper's non-convergent recipe and cut only the budget", async () => {
  for (const profile of profiles) {
    const c = (await plan("anatomy-fashion", profile)).steps["train-nonconvergent"].config;
    const where = `--profile ${profile}: train-nonconvergent`;
    assertEquals(c.net_type, "vanilla", `${where}.net_type`);
    assertEquals(c.optimizer_type, "adam", `${where}.optimizer_type`);
    assertEquals(c.lr_init, 1e-4, `${where}.lr_init`);
    assertEquals(c.epsilon, 1e-2, `${where}.epsilon`);
    assertEquals(c.data_epsilon, 3e-2, `${where}.data_epsilon`);
    assertEquals(c.shortrun_init, "uniform", `${where}.shortrun_init`);
  }
  const paper = (await plan("anatomy-fashion", "paper")).steps["train-nonconvergent"].config;
  assertEquals(paper.num_train_iters, 100000);
  assertEquals(paper.num_shortrun_steps, 150);
  assertEquals(paper.batch_size, 100);
  const cpu = (await plan("anatomy-fashion", "cpu")).steps["train-nonconvergent"].config;
  // 40 steps diverged around iteration 390 (configs/profiles/flowers_nonconvergent.cpu.yaml).
  assert((cpu.num_shortrun_steps as number) >= 100, `cpu short runs must stay ≥ 100 steps, got ${cpu.num_shortrun_steps}`);
});

Deno.test("anatomy-fashion: the short-run eval uses the training sampler (uniform init, same ε and L)", async () => {
  for (const profile of profiles) {
    const p = await plan("anatomy-fashion", profile);
    const train = p.steps["train-nonconvergent"].config, short = p.steps["shortrun-nonconvergent"].config;
    const where = `--profile ${profile}: shortrun-nonconvergent`;
    assertEquals(short.mcmc_init, "uniform", `${where}.mcmc_init`);
    assertEquals(short.epsilon, train.epsilon, `${where}.epsilon`);
    assertEquals(short.num_mcmc_steps, train.num_shortrun_steps, `${where}.num_mcmc_steps vs training's num_shortrun_steps`);
    assertEquals(short.use_mh_langevin, false, `${where}.use_mh_langevin`);
  }
});

// The long runs are not shared: a fingerprint names its upstream steps by id ('train' there, 'train-convergent' here).
Deno.test("anatomy-fashion: data and the convergent training are basins-fashion's cached outputs", async () => {
  for (const profile of profiles) {
    const [anatomy, basins] = await Promise.all([plan("anatomy-fashion", profile), plan("basins-fashion", profile)]);
    const same = (a: string, b: string) =>
      assertEquals(anatomy.steps[a].fingerprint, basins.steps[b].fingerprint, `--profile ${profile}: anatomy-fashion '${a}' vs basins-fashion '${b}'`);
    same("data", "data");
    same("train-convergent", "train");
  }
});

Deno.test("anatomy-fashion: the non-convergent half runs without the convergent steps", async () => {
  const p = await makePlan({ root, pipeline: "anatomy-fashion", profile: "cpu", sets: [], backend: "cpu", until: ["diagnostics-nonconvergent", "grids-nonconvergent"] });
  const selected = p.order.filter((id) => p.steps[id].selected).sort();
  assertEquals(selected, ["data", "diagnostics-nonconvergent", "grids-nonconvergent", "longrun-nonconvergent", "shortrun-nonconvergent", "train-nonconvergent"]);
});
