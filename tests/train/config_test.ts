import { assert, assertClose, assertEquals } from "../assert.ts";
import { EvalSampleConfig, effectiveLearningRates, samplingTemperature, TrainEbmConfig, TrainToyConfig } from "../../lib/train/config.ts";

const referenceDir = "/work/shared/reference/ebm-anatomy-configs";

/** The paper's JSON configs repeat "_comment" keys; JSON.parse keeps the last, which we drop. */
async function paperConfig(name: string): Promise<Record<string, unknown>> {
  const raw = JSON.parse(await Deno.readTextFile(`${referenceDir}/${name}.json`));
  delete raw._comment;
  return raw;
}

Deno.test("every paper image config parses unchanged with the train-ebm schema", async () => {
  for (const name of ["data_config", "flowers_convergent", "flowers_nonconvergent", "cifar10_nonconvergent", "cifar10_oscillate", "mnist_convergent"]) {
    const raw = await paperConfig(name);
    const parsed = TrainEbmConfig.parse(raw);
    for (const [k, v] of Object.entries(raw)) assertEquals(parsed[k as keyof typeof parsed], v, `${name}.${k}`);
  }
});

Deno.test("every paper toy config parses unchanged with the train-toy schema", async () => {
  for (const name of ["toy_config", "gmm_convergent", "gmm_nonconvergent", "rings_convergent", "rings_nonconvergent"]) {
    const raw = await paperConfig(name);
    const parsed = TrainToyConfig.parse(raw);
    for (const [k, v] of Object.entries(raw)) assertEquals(parsed[k as keyof typeof parsed], v, `${name}.${k}`);
  }
});

Deno.test("paper eval configs parse; dataset names as mcmc_init mean 'data'", async () => {
  for (const name of ["eval_config", "eval_flowers_convergent", "eval_flowers_convergent_mh", "eval_flowers_nonconvergent"]) {
    const parsed = EvalSampleConfig.parse(await paperConfig(name));
    assert(parsed.mcmc_init === "data" || parsed.mcmc_init === "uniform", `${name}: ${parsed.mcmc_init}`);
  }
});

Deno.test("unknown fields and bad values are rejected naming the field", () => {
  const unknown = TrainEbmConfig.safeParse({ lr_initt: 1 });
  assert(!unknown.success && JSON.stringify(unknown.error.issues).includes("lr_initt"), "unknown key");
  const negative = TrainEbmConfig.safeParse({ lr_init: -1 });
  assert(!negative.success && negative.error.issues[0].path.join(".") === "lr_init", "negative lr");
  const bank = TrainToyConfig.safeParse({ init_type: "persistent", s_t_0_size: 10, batch_size: 100 });
  assert(!bank.success && bank.error.issues[0].path.join(".") === "s_t_0_size", "bank smaller than batch");
  const imageBank = TrainEbmConfig.safeParse({ shortrun_init: "persistent", persistent_bank_size: 10, batch_size: 32 });
  assert(!imageBank.success && imageBank.error.issues[0].path.join(".") === "persistent_bank_size", "image bank smaller than batch");
  assert(imageBank.error.issues[0].message.includes("at least batch_size"), imageBank.error.issues[0].message);
  assertEquals(TrainEbmConfig.parse({ shortrun_init: "uniform", persistent_bank_size: 10, batch_size: 32 }).persistent_bank_size, 10);
  assertEquals(TrainEbmConfig.parse({}).persistent_bank_size, undefined);
});

Deno.test("noise-invariant learning rates and sampling temperature", () => {
  const sgd = effectiveLearningRates({ optimizer_type: "sgd", epsilon: 0.1, lr_init: 2, lr_min: 1 });
  assertClose([sgd.lrInit, sgd.lrMin], [0.01, 0.005], 1e-12);
  const adam = effectiveLearningRates({ optimizer_type: "adam", epsilon: 0.1, lr_init: 2, lr_min: 1 });
  assertClose([adam.lrInit, adam.lrMin], [2, 1], 1e-12);
  assertClose(samplingTemperature({ temp_factor: 2, train_epsilon: 0.01 }), 1e-4, 1e-12);
  assertClose(samplingTemperature({ temp_factor: 3, train_epsilon: 0 }), 3, 1e-12);
});
