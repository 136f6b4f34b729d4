/**
 * The `diagnose` task on real runs: a toy run with a learning rate far too high (Adam at 10⁴× the
 * paper's 1e-4) must come out `unstable`, next to the same recipe at a sane rate (`stable`) —
 * the negative case that keeps the thresholds honest — and an image run paired with its long run
 * gets the image sampling tests.
 */
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { LongrunSampleConfig, TrainEbmConfig, TrainToyConfig } from "../../lib/train/config.ts";
import { trainToy } from "../../tasks/train-toy.ts";
import { trainEbm } from "../../tasks/train-ebm.ts";
import { runSampling } from "../../lib/train/sampling.ts";
import diagnose, { DiagnoseConfig } from "../../tasks/diagnose.ts";
import { DIAGNOSIS_FILE, evidenceFailed, readDiagnosis } from "../../lib/diagnosis/file.ts";
import type { StepInput } from "../../lib/task.ts";
import { contextWithResume, tinyImageInput } from "../train/helpers.ts";

await initBackend("cpu");

const toy = (lr: number) => TrainToyConfig.parse({
  num_train_iters: 60, batch_size: 30, toy_type: "gmm", toy_groups: 8, toy_sd: 0.15, toy_radius: 1, viz_res: 16, kde_bw: 0.1,
  num_mcmc_steps: 10, log_info_freq: 30, log_viz_freq: 60, batch_size_kde: 40, epsilon: 0.01, init_type: "gaussian",
  optimizer_type: "adam", lr_init: lr, lr_min: lr, lr_decay: 1,
});

Deno.test("diagnose: a real toy run with a learning rate far too high is unstable; the same recipe at a sane rate is stable", async () => {
  const runs = [await contextWithResume(toy(1), []), await contextWithResume(toy(1e-3), [])];
  try {
    for (const r of runs) await trainToy(r.ctx);
    const inputs: StepInput[] = [
      { id: "lr-too-high", task: "train-toy", dir: runs[0].ctx.outDir },
      { id: "lr-sane", task: "train-toy", dir: runs[1].ctx.outDir },
    ];
    const d = await contextWithResume(DiagnoseConfig.parse({}), inputs);
    try {
      await diagnose.run(d.ctx);
      const diagnosis = await readDiagnosis(`${d.ctx.outDir}/${DIAGNOSIS_FILE}`);
      assertEquals(diagnosis["lr-too-high"].learning, "unstable", JSON.stringify(diagnosis["lr-too-high"].evidence));
      assertEquals(diagnosis["lr-sane"].learning, "stable", JSON.stringify(diagnosis["lr-sane"].evidence));
      const failed = diagnosis["lr-too-high"].evidence.filter(evidenceFailed).map((e) => e.test);
      assert(failed.includes("d_t zero crossings per 100 iterations"), `d_t never returns to 0: ${failed}`);
      for (const id of ["lr-too-high", "lr-sane"]) {
        assert(["convergent", "non-convergent"].includes(diagnosis[id].sampling), "toy runs are assessed from their landscape");
        assert(diagnosis[id].evidence.some((e) => e.test.startsWith("KL(true‖EBM density)")), "toy evidence");
      }
      assertEquals(d.metrics!["lr-too-high.learning"], "unstable");
      assertEquals(d.metrics!["lr-sane.learning"], "stable");
    } finally {
      await d.dispose();
    }
  } finally {
    for (const r of runs) await r.dispose();
  }
});

Deno.test("diagnose: an image run paired with its long run gets the image tests; unpaired is not assessed; bad pairs are named", async () => {
  const root = await Deno.makeTempDir();
  const data = await tinyImageInput(root, 12);
  const train = await contextWithResume(TrainEbmConfig.parse({
    data: "test", num_train_iters: 10, batch_size: 4, im_ch: 1, net_type: "vanilla", n_f: 2, optimizer_type: "adam",
    lr_init: 1e-3, lr_min: 1e-3, lr_decay: 1, epsilon: 0.01, num_shortrun_steps: 2, shortrun_init: "persistent", log_freq: 5, log_longrun: false,
  }), [data]);
  try {
    await trainEbm(train.ctx);
    const trainInput = { id: "train", task: "train-ebm", dir: train.ctx.outDir };
    const longrun = await contextWithResume(LongrunSampleConfig.parse({
      batch_size: 4, im_ch: 1, net_type: "vanilla", n_f: 2, train_epsilon: 0.01, epsilon: 0.01, num_mcmc_steps: 6, log_freq: 3, mcmc_init: "data",
    }), [data, trainInput]);
    try {
      await runSampling(longrun.ctx);
      const inputs = [data, trainInput, { id: "longrun", task: "longrun-sample", dir: longrun.ctx.outDir }];
      const paired = await contextWithResume(DiagnoseConfig.parse({ longrun: { train: "longrun" }, n_reference: 4 }), inputs);
      const unpaired = await contextWithResume(DiagnoseConfig.parse({}), inputs);
      const wrong = await contextWithResume(DiagnoseConfig.parse({ longrun: { train: "long-run" } }), inputs);
      try {
        await diagnose.run(paired.ctx);
        const run = (await readDiagnosis(`${paired.ctx.outDir}/${DIAGNOSIS_FILE}`)).train;
        assert(["convergent", "non-convergent"].includes(run.sampling), run.sampling);
        assertEquals(run.evidence.slice(-3).map((e) => e.test.split(" ")[0]), ["long-run", "saturated", "distance"]);
        for (const e of run.evidence.slice(-3)) assert(typeof e.value === "number" && typeof e.threshold === "number", JSON.stringify(e));
        assertEquals(Object.keys(await readDiagnosis(`${paired.ctx.outDir}/${DIAGNOSIS_FILE}`)), ["train"], "only training steps are diagnosed");
        await diagnose.run(unpaired.ctx);
        assertEquals((await readDiagnosis(`${unpaired.ctx.outDir}/${DIAGNOSIS_FILE}`)).train.sampling, "not assessed");
        await assertThrowsAsync(() => diagnose.run(wrong.ctx), "Cannot read config 'longrun'", "'long-run'");
      } finally {
        for (const t of [paired, unpaired, wrong]) await t.dispose();
      }
    } finally {
      await longrun.dispose();
    }
  } finally {
    await train.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
