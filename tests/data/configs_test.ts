import { parse } from "yaml";
import { assert, assertEquals } from "../assert.ts";

const dir = new URL("../../configs/", import.meta.url);

/** Distinctive values of each of the paper's configs (ebm-anatomy-configs/*.json). */
const expected: Record<string, Record<string, unknown>> = {
  cifar10_nonconvergent: { data: "cifar10", num_train_iters: 100000, data_epsilon: 0.03, net_type: "vanilla", optimizer_type: "adam", lr_init: 1e-4, epsilon: 0.01, num_shortrun_steps: 150, shortrun_init: "uniform" },
  cifar10_oscillate: { data: "cifar10", num_shortrun_steps: 500, shortrun_init: "persistent", lr_decay: 1.0 },
  data_config: { data: "flowers", num_train_iters: 200000, lr_init: 0.05, lr_min: 5e-4, lr_decay: 0.99995, epsilon: 7.5e-3 },
  eval_config: { net_weight_path: "./trained_nets/flowers_convergent_net.pth", train_epsilon: 7.5e-3, temp_factor: 1, mcmc_init: "flowers", num_mcmc_steps: 250000, use_mh_langevin: false, log_freq: 500 },
  eval_flowers_convergent: { net_type: "nonlocal", num_mcmc_steps: 250000, use_mh_langevin: false },
  eval_flowers_convergent_mh: { epsilon: 2e-3, num_mcmc_steps: 1000000, use_mh_langevin: true },
  eval_flowers_nonconvergent: { net_type: "vanilla", net_weight_path: "./trained_nets/flowers_nonconvergent_net.pth", train_epsilon: 0.01, mcmc_init: "uniform", num_mcmc_steps: 150, log_freq: 50 },
  flowers_convergent: { lr_init: 0.1, lr_min: 5e-4, data_epsilon: 0.015, log_longrun_freq: 10000, longrun_init: "data" },
  flowers_nonconvergent: { data_epsilon: 0.03, optimizer_type: "adam", shortrun_init: "uniform" },
  gmm_convergent: { toy_type: "gmm", toy_groups: 8, toy_sd: 0.15, kde_bw: 0.1, epsilon: 0.125, num_mcmc_steps: 500, init_type: "persistent", s_t_0_size: 10000 },
  gmm_nonconvergent: { optimizer_type: "adam", lr_init: 1e-4, epsilon: 0.01, num_mcmc_steps: 100, init_type: "gaussian", s_t_0_size: 0, noise_init_factor: 1.0 },
  mnist_convergent: { data: "mnist", im_ch: 1, lr_init: 0.01, log_longrun_freq: 5000 },
  rings_convergent: { toy_type: "rings", toy_groups: 4, kde_bw: 0.075, init_type: "persistent" },
  rings_nonconvergent: { toy_type: "rings", init_type: "gaussian", noise_init_factor: 2.0 },
  toy_config: { toy_type: "rings", noise_init_factor: 2.0, s_t_0_size: 10000, log_viz_freq: 1000, batch_size_kde: 10000 },
};

Deno.test("configs: every paper config is ported to YAML with its values and comments", async () => {
  for (const [name, fields] of Object.entries(expected)) {
    const text = await Deno.readTextFile(new URL(`${name}.yaml`, dir));
    const config = parse(text) as Record<string, unknown>;
    assert(!("_comment" in config), `${name}: _comment must become YAML comments`);
    assert(/^# =====/m.test(text), `${name}: section comments kept`);
    assertEquals(config.seed, 123, `${name}.seed`);
    assertEquals(config.batch_size, 100, `${name}.batch_size`);
    for (const [key, value] of Object.entries(fields)) assertEquals(config[key], value, `${name}.${key}`);
  }
});
