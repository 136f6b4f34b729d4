import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { EvalSampleConfig, LongrunSampleConfig, TrainEbmConfig } from "../../lib/train/config.ts";
import { trainEbm } from "../../tasks/train-ebm.ts";
import { runSampling } from "../../lib/train/sampling.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { CHAINS_FILE, readSamplingChains } from "../../lib/artifacts/sampling_chains.ts";
import { readJson } from "../../lib/util/fs.ts";
import type { StepInput } from "../../lib/task.ts";
import { contextWithResume, tinyImageInput } from "./helpers.ts";

await initBackend("cpu");

const train = TrainEbmConfig.parse({
  data: "test", num_train_iters: 2, batch_size: 4, im_ch: 1, net_type: "vanilla", n_f: 2, optimizer_type: "adam",
  lr_init: 1e-3, lr_min: 1e-3, lr_decay: 1, epsilon: 0.01, num_shortrun_steps: 2, shortrun_init: "persistent",
  log_freq: 2, log_longrun: false,
});

/** Trains the tiny model once for a test, hands `body` the data and train inputs, and cleans up. */
async function withTrainedModel(body: (root: string, data: StepInput, trainInput: StepInput) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  const data = await tinyImageInput(root);
  const trained = await contextWithResume(train, [data]);
  try {
    await trainEbm(trained.ctx);
    await body(root, data, { id: "train", task: "train-ebm", dir: trained.ctx.outDir });
  } finally {
    await trained.dispose();
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("eval-sample / longrun-sample: ULA and MALA from data, uniform and the bank", () =>
  withTrainedModel(async (_root, data, trainInput) => {
    const cases = [
      EvalSampleConfig.parse({ batch_size: 4, im_ch: 1, n_f: 2, train_epsilon: 0.01, epsilon: 0.01, num_mcmc_steps: 5, log_freq: 2, mcmc_init: "uniform" }),
      LongrunSampleConfig.parse({ batch_size: 4, im_ch: 1, net_type: "vanilla", n_f: 2, train_epsilon: 0.01, epsilon: 0.002, num_mcmc_steps: 4, log_freq: 4, mcmc_init: "mnist", use_mh_langevin: true }),
      EvalSampleConfig.parse({ batch_size: 3, im_ch: 1, n_f: 2, train_epsilon: 0.01, temp_factor: 2, epsilon: 0.01, num_mcmc_steps: 2, log_freq: 5, mcmc_init: "bank" }),
    ];
    for (const config of cases) {
      const t = await contextWithResume(config, [data, trainInput]);
      try {
        await runSampling(t.ctx);
        const files = [...Deno.readDirSync(t.ctx.outDir)].map((e) => e.name).sort();
        for (const f of ["final.png", "final_states.safetensors", "initial.png", "metrics.json", "records.json", "samples"]) assert(files.includes(f), `missing ${f}: ${files}`);
        const records = await readJson<Record<string, number[]>>(`${t.ctx.outDir}/records.json`);
        assertEquals(records.step, Array.from({ length: config.num_mcmc_steps }, (_, i) => i + 1));
        const m = t.metrics!;
        assert(Number.isFinite(m.final_mean_energy as number), JSON.stringify(m));
        if (config.use_mh_langevin) {
          assert(records.acceptance.every((a) => a >= 0 && a <= 1), "acceptance in [0, 1]");
          assert(typeof m.mean_acceptance === "number", "mean acceptance");
        } else assertEquals(m.mean_acceptance, null);
        assertEquals(m.temperature, config.temp_factor * 0.01 ** 2 / 2);
        // Per chain, as eval.py records it: [steps, chains] of f/T; their mean is records.json's energy.
        const chains = await readSamplingChains(`${t.ctx.outDir}/${CHAINS_FILE}`);
        assertEquals([chains.steps, chains.chains], [config.num_mcmc_steps, config.batch_size]);
        for (let s = 0; s < chains.steps; s++) {
          const row = chains.energy.subarray(s * chains.chains, (s + 1) * chains.chains);
          const mean = row.reduce((a, b) => a + b, 0) / chains.chains;
          assert(Math.abs(mean - records.energy[s]) <= 1e-6 * Math.max(1, Math.abs(mean)), `step ${s + 1}: chain mean ${mean} vs ${records.energy[s]}`);
        }
        const states = await readSafetensors(`${t.ctx.outDir}/final_states.safetensors`);
        assertEquals(states.tensors.states.shape, [config.batch_size, 32, 32, 1]);
      } finally {
        await t.dispose();
      }
    }
    const descent = await contextWithResume(EvalSampleConfig.parse({ batch_size: 2, im_ch: 1, n_f: 2, train_epsilon: 0.01, epsilon: 0, num_mcmc_steps: 3, log_freq: 2 }), [data, trainInput]);
    const mhDescent = await contextWithResume(EvalSampleConfig.parse({ batch_size: 2, im_ch: 1, n_f: 2, epsilon: 0, use_mh_langevin: true }), [data, trainInput]);
    try {
      await runSampling(descent.ctx);
      const chains = await readSamplingChains(`${descent.ctx.outDir}/${CHAINS_FILE}`);
      assertEquals([chains.steps, chains.chains], [3, 2]);
      await assertThrowsAsync(() => runSampling(mhDescent.ctx), "Cannot read config 'epsilon'", "gradient descent");
    } finally {
      await descent.dispose();
      await mhDescent.dispose();
    }
    const wrong = await contextWithResume(EvalSampleConfig.parse({ im_ch: 1, n_f: 4 }), [data, trainInput]);
    try {
      await assertThrowsAsync(() => runSampling(wrong.ctx), "checkpoint.safetensors': metadata field 'n_f' is 2", "'n_f' is 4");
    } finally {
      await wrong.dispose();
    }
  }));

Deno.test("sampling survives an interruption: the resumed run ends with the states of an uninterrupted one", () =>
  withTrainedModel(async (root, data, trainInput) => {
    const config = LongrunSampleConfig.parse({
      batch_size: 3, im_ch: 1, net_type: "vanilla", n_f: 2, train_epsilon: 0.01, epsilon: 0.005, num_mcmc_steps: 7, log_freq: 2,
      mcmc_init: "uniform", use_mh_langevin: true,
    });
    const outputs = async (dir: string) => ({
      states: (await readSafetensors(`${dir}/final_states.safetensors`)).tensors.states.data,
      records: await readJson<Record<string, number[]>>(`${dir}/records.json`),
      samples: [...Deno.readDirSync(`${dir}/samples`)].map((e) => e.name).sort(),
    });

    const whole = await contextWithResume(config, [data, trainInput]);
    const resumeDir = `${root}/resume`;
    const cut = await contextWithResume(config, [data, trainInput], resumeDir);
    const rest = await contextWithResume(config, [data, trainInput], resumeDir);
    try {
      await runSampling(whole.ctx);
      const stop = new AbortController();
      cut.ctx.signal = stop.signal;
      cut.ctx.progress = { update: (done) => done >= 4 && stop.abort() };
      await assertThrowsAsync(() => runSampling(cut.ctx), "Sampling stopped at step 4");
      await runSampling(rest.ctx);
      assert(rest.logs.some((l) => l.includes("Resuming at step 5 of 7")), rest.logs.join("\n"));
      assertEquals(rest.metrics!.resumed_from, 4);
      assertEquals(await outputs(rest.ctx.outDir), await outputs(whole.ctx.outDir));
      assertEquals(rest.metrics!.final_mean_energy, whole.metrics!.final_mean_energy);
    } finally {
      await whole.dispose();
      await cut.dispose();
      await rest.dispose();
    }
  }));
