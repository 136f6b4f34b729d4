/**
 * The shipped pipelines (`pipelines/*.yaml`) plan without error for every profile they declare,
 * and their configs are consistent where a run would only fail later: a sampling step's network
 * (net_type, n_f, channels) matches its upstream training step's, steps that should share one
 * cached output have the same fingerprint, and a training change re-runs only what follows it.
 * Planning executes nothing, so this stays fast.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { makePlan, type Plan } from "../../lib/runner/plan.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
// Planning hashes external inputs; eval-flowers needs a checkpoint file to exist (its content does not matter here).
const checkpointDir = await Deno.makeTempDir({ prefix: "pipelines-test-" });
const checkpoint = join(checkpointDir, "flowers_convergent_net.safetensors");
await Deno.writeTextFile(checkpoint, "placeholder: planning only hashes the file\n");
// hybrid-mnist downloads MNIST (no network here): a local copy stands in; planning only checks the files exist.
const mnistDir = join(checkpointDir, "mnist");
await Deno.mkdir(mnistDir);
for (const split of ["train", "t10k"]) for (const kind of ["images-idx3", "labels-idx1"]) await Deno.writeTextFile(join(mnistDir, `${split}-${kind}-ubyte`), "placeholder\n");
globalThis.addEventListener("unload", () => Deno.removeSync(checkpointDir, { recursive: true }));

/** `--set` values a pipeline needs to plan here (files users provide). */
const requiredSets: Record<string, string[]> = {
  "eval-flowers": [`net_weight_path=${checkpoint}`],
  "hybrid-mnist": [`data.local_path=${mnistDir}`, `data-test.local_path=${mnistDir}`],
};

const shipped = ["basins-flowers", "basins-fashion", "anatomy-flowers", "anatomy-fashion", "anatomy-toy", "eval-flowers"];

async function pipelineNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(root, "pipelines"))) {
    if (entry.isFile && entry.name.endsWith(".yaml")) names.push(entry.name.slice(0, -".yaml".length));
  }
  return names.sort();
}

function plan(pipeline: string, profile: string | null, sets: string[] = []): Promise<Plan> {
  // The cpu backend resolves instantly and without native libraries; planning does not depend on it.
  return makePlan({ root, pipeline, profile, sets: [...(requiredSets[pipeline] ?? []), ...sets], backend: "cpu" });
}

Deno.test("pipelines: the issue's pipelines are all shipped", async () => {
  const names = await pipelineNames();
  for (const name of shipped) assert(names.includes(name), `pipelines/${name}.yaml is missing (have: ${names.join(", ")})`);
});

Deno.test("pipelines: every shipped pipeline plans for every profile it declares and without one", async () => {
  for (const name of await pipelineNames()) {
    const base = await plan(name, null);
    const profiles = Object.keys(base.pipeline.profiles);
    for (const profile of profiles) {
      const planned = await plan(name, profile);
      assert(planned.order.length > 0, `${name} --profile ${profile}: no steps`);
      for (const id of planned.order) assert(/^[0-9a-f]{64}$/.test(planned.steps[id].fingerprint), `${name}/${id}: no fingerprint`);
    }
  }
});

Deno.test("pipelines: the basins, anatomy and eval pipelines have paper, cpu and smoke, and default to cpu on a CPU backend", async () => {
  for (const name of shipped) {
    const base = await plan(name, null);
    for (const profile of ["paper", "cpu", "smoke"]) assert(profile in base.pipeline.profiles, `${name}: no '${profile}' profile`);
    assertEquals(base.profile, "cpu", `${name}: default profile on the cpu backend`);
    assert(base.profileNote?.includes("default_profile.cpu"), `${name}: the run must say why it chose cpu, got ${base.profileNote}`);
  }
});

Deno.test("pipelines: paper profile keeps the paper's recipe values", async () => {
  const flowers = await plan("basins-flowers", "paper");
  assertEquals(flowers.steps.train.config.num_train_iters, 200000);
  assertEquals(flowers.steps.train.config.num_shortrun_steps, 500);
  assertEquals(flowers.steps.longrun.config.num_mcmc_steps, 250000);
  const toy = await plan("anatomy-toy", "paper");
  assertEquals(toy.steps["gmm-convergent"].config.num_mcmc_steps, 500);
  assertEquals(toy.steps["rings-nonconvergent"].config.optimizer_type, "adam");
  const evalPlan = await plan("eval-flowers", "paper");
  assertEquals(evalPlan.steps.mala.config.use_mh_langevin, true);
  assertEquals(evalPlan.steps.ula.config.use_mh_langevin, false);
  assertEquals(evalPlan.steps.ula.config.net_weight_path, checkpoint);
});

/** Sampling, search and clustering steps read the network of their training input: its shape must agree. */
Deno.test("pipelines: sampling steps match their training step's network in every profile", async () => {
  for (const name of shipped) {
    const base = await plan(name, null);
    for (const profile of Object.keys(base.pipeline.profiles)) {
      const planned = await plan(name, profile);
      for (const id of planned.order) {
        const step = planned.steps[id];
        if (step.task.name !== "longrun-sample" && step.task.name !== "eval-sample") continue;
        const trainers = step.spec.needs.filter((n) => planned.steps[n].task.name === "train-ebm");
        if (trainers.length === 0) continue;
        assertEquals(trainers.length, 1, `${name}/${id}: one training input`);
        const train = planned.steps[trainers[0]].config;
        const where = `${name} --profile ${profile}: ${id} vs ${trainers[0]}`;
        assertEquals(step.config.net_type, train.net_type, `${where}: net_type`);
        assertEquals(step.config.n_f, train.n_f, `${where}: n_f`);
        assertEquals(step.config.im_ch, train.im_ch, `${where}: im_ch`);
        assertEquals(step.config.im_sz, train.im_sz, `${where}: im_sz`);
        assertEquals(step.config.train_epsilon, train.epsilon, `${where}: train_epsilon (sampling temperature)`);
        assertEquals(step.config.net_weight_path, undefined, `${where}: must use the upstream checkpoint`);
      }
    }
  }
});

Deno.test("pipelines: Fashion-MNIST trains a 1-channel model on its 1-channel data", async () => {
  for (const profile of ["paper", "cpu", "smoke"]) {
    const planned = await plan("basins-fashion", profile);
    assertEquals(planned.steps.data.config.im_ch, 1);
    assertEquals(planned.steps.train.config.im_ch, 1);
    assertEquals(planned.steps.train.config.data, "fashion-mnist");
  }
});

Deno.test("pipelines: the flowers data steps are shared (one fingerprint) by basins, anatomy and eval", async () => {
  for (const profile of ["paper", "cpu", "smoke"]) {
    const plans = await Promise.all(["basins-flowers", "anatomy-flowers", "eval-flowers"].map((p) => plan(p, profile)));
    for (const id of ["download", "images"]) {
      const prints = new Set(plans.map((p) => p.steps[id].fingerprint));
      assertEquals(prints.size, 1, `--profile ${profile}: step '${id}' has ${prints.size} fingerprints across the flowers pipelines`);
    }
    // The convergent training of basins-flowers is the one anatomy-flowers shows next to the non-convergent.
    assertEquals(plans[0].steps.train.fingerprint, plans[1].steps["train-convergent"].fingerprint, `--profile ${profile}: convergent training`);
  }
});

Deno.test("pipelines: the data step can read a local copy or a mirror instead of downloading", async () => {
  const local = await plan("basins-flowers", "smoke", [`download.local_path=${checkpointDir}`]);
  assertEquals(local.steps.download.config.local_path, checkpointDir);
  const mirror = await plan("basins-flowers", "smoke", ["download.mirror=https://example.org/flowers/"]);
  assertEquals(mirror.steps.download.config.mirror, "https://example.org/flowers/");
  const cold = await plan("basins-flowers", "smoke");
  assert(local.steps.download.fingerprint !== cold.steps.download.fingerprint, "a local copy is a different input");
});

Deno.test("pipelines: a training change re-fingerprints training and everything after it, nothing before", async () => {
  const before = await plan("basins-fashion", "smoke");
  const after = await plan("basins-fashion", "smoke", ["train.lr_init=0.02"]);
  const downstream = new Set(["train"]);
  for (const id of after.order) {
    if (after.steps[id].spec.needs.some((n) => downstream.has(n))) downstream.add(id);
  }
  for (const id of after.order) {
    const changed = before.steps[id].fingerprint !== after.steps[id].fingerprint;
    assertEquals(changed, downstream.has(id), `step '${id}': fingerprint ${changed ? "changed" : "unchanged"}`);
  }
  assert(!downstream.has("data") && downstream.has("report") && downstream.has("basins-plot"), [...downstream].join(", "));
});

Deno.test("pipelines: basins-fashion shares its Fashion-MNIST step with adelm-fmnist (full dataset; smoke reads the embedded sample)", async () => {
  const [basins, adelm, smoke] = await Promise.all([plan("basins-fashion", "cpu"), plan("adelm-fmnist", null), plan("basins-fashion", "smoke")]);
  assertEquals(basins.steps.data.fingerprint, adelm.steps.data.fingerprint, "data step fingerprints");
  assert(smoke.steps.data.fingerprint !== basins.steps.data.fingerprint, "the smoke profile's data is the embedded sample, not the full split");
});
