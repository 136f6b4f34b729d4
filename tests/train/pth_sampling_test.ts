/**
 * Issue 19 item 4: a `.pth` written by torch.save (zip and legacy formats) of the paper's
 * NonlocalNet state_dict samples exactly as its safetensors conversion does (ULA and MALA from
 * uniform noise, no dataset step), and a `.pth` naming another pickle global is refused.
 */
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { LongrunSampleConfig } from "../../lib/train/config.ts";
import { runSampling } from "../../lib/train/sampling.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { readJson } from "../../lib/util/fs.ts";
import { contextWithResume } from "./helpers.ts";

await initBackend("cpu");

const FIX = new URL("../fixtures/pth/", import.meta.url).pathname;
const TIMING = new Set(["seconds", "seconds_per_step"]);

async function sample(path: string, mh: boolean) {
  const config = LongrunSampleConfig.parse({
    batch_size: 3, im_ch: 3, net_type: "nonlocal", n_f: 8, net_weight_path: path, train_epsilon: 0.0075, epsilon: 0.0075,
    num_mcmc_steps: 4, log_freq: 2, mcmc_init: "uniform", use_mh_langevin: mh,
  });
  const t = await contextWithResume(config, []);
  try {
    await runSampling(t.ctx);
    const metrics = Object.fromEntries(Object.entries(t.metrics!).filter(([k]) => !TIMING.has(k)));
    return {
      metrics,
      records: await readJson<Record<string, number[]>>(`${t.ctx.outDir}/records.json`),
      states: Array.from((await readSafetensors(`${t.ctx.outDir}/final_states.safetensors`)).tensors.states.data as Float32Array),
    };
  } finally {
    await t.dispose();
  }
}

for (const mh of [false, true]) {
  Deno.test(`longrun-sample (${mh ? "MALA" : "ULA"}, uniform init): .pth in both formats gives exactly the safetensors conversion's metrics`, async () => {
    const reference = await sample(`${FIX}nonlocal_nf8.safetensors`, mh);
    assert(Number.isFinite(reference.metrics.final_mean_energy as number), JSON.stringify(reference.metrics));
    if (mh) assert(typeof reference.metrics.mean_acceptance === "number", "MALA records acceptance");
    for (const format of ["zip", "legacy"]) {
      const got = await sample(`${FIX}nonlocal_nf8_${format}.pth`, mh);
      assertEquals(got.metrics, reference.metrics, `${format} metrics`);
      assertEquals(got.records, reference.records, `${format} records`);
      assert(got.states.every((v, i) => Object.is(v, reference.states[i])), `${format}: final states differ`);
    }
  });
}

Deno.test("longrun-sample: a .pth whose pickle names another global is refused with the global's name", async () => {
  await assertThrowsAsync(() => sample(`${FIX}evil_zip.pth`, false), "'posix.system'", "nothing was executed");
  await assertThrowsAsync(() => sample(`${FIX}nonlocal_nf8.bin`, false), "net_weight_path");
});
