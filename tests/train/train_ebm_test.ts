import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { TrainEbmConfig } from "../../lib/train/config.ts";
import { trainEbm } from "../../tasks/train-ebm.ts";
import { parseMetricsJsonl } from "../../lib/artifacts/metrics_log.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { exists } from "../../lib/util/fs.ts";
import { streamFor } from "../../lib/train/streams.ts";
import { contextWithResume, tinyImageInput } from "./helpers.ts";

await initBackend("cpu");

const tiny = TrainEbmConfig.parse({
  data: "test", num_train_iters: 6, batch_size: 4, im_sz: 32, im_ch: 1, net_type: "vanilla", n_f: 2,
  optimizer_type: "adam", lr_init: 1e-3, lr_min: 1e-4, lr_decay: 0.9, epsilon: 0.01, data_epsilon: 0.03,
  num_shortrun_steps: 3, shortrun_init: "persistent", log_freq: 2, log_longrun: true, log_longrun_freq: 4,
  num_longrun_steps: 2, longrun_init: "data",
});

async function runOutputs(outDir: string) {
  const records = parseMetricsJsonl(await Deno.readTextFile(`${outDir}/metrics.jsonl`));
  const ckpt = await readSafetensors(`${outDir}/checkpoint.safetensors`);
  const bank = await readSafetensors(`${outDir}/bank.safetensors`);
  return {
    series: records.map(({ iter, d_t, r_t, lr }) => ({ iter, d_t, r_t, lr })),
    weights: Object.fromEntries(Object.entries(ckpt.tensors).map(([k, v]) => [k, Array.from(v.data as Float32Array)])),
    bank: Array.from(bank.tensors.bank.data as Float32Array),
  };
}

Deno.test("train-ebm: tiny persistent run writes the logged outputs and a summary", async () => {
  const root = await Deno.makeTempDir();
  const t = await contextWithResume(tiny, [await tinyImageInput(root)]);
  try {
    await trainEbm(t.ctx);
    const files = [...Deno.readDirSync(t.ctx.outDir)].map((e) => e.name).sort();
    for (const f of ["bank", "bank.safetensors", "checkpoint.safetensors", "checkpoints", "longrun", "metrics.json", "metrics.jsonl", "shortrun"]) {
      assert(files.includes(f), `missing ${f} in ${files}`);
    }
    assertEquals([...Deno.readDirSync(`${t.ctx.outDir}/shortrun`)].map((e) => e.name).sort(), ["shortrun_000001.png", "shortrun_000002.png", "shortrun_000004.png", "shortrun_000006.png"]);
    assertEquals([...Deno.readDirSync(`${t.ctx.outDir}/longrun`)].map((e) => e.name).sort(), ["longrun_000004.png"]);
    const m = t.metrics!;
    assert(m.summary_iters === 6 && typeof m.d_t_mean === "number" && Number.isFinite(m.d_t_mean), JSON.stringify(m));
    assertEquals(m.backend, "cpu");
    const ckpt = await readSafetensors(`${t.ctx.outDir}/checkpoint.safetensors`);
    assert("net.f.0.weight" in ckpt.tensors && "optim.exp_avg/f.0.weight" in ckpt.tensors, Object.keys(ckpt.tensors).join(","));
    assertEquals(ckpt.tensors["net.f.0.weight"].shape, [2, 1, 3, 3]);
    // No persistent_bank_size: the paper's bank, one state per data image.
    assertEquals((await readSafetensors(`${t.ctx.outDir}/bank.safetensors`)).tensors.bank.shape, [8, 32, 32, 1]);
    const series = parseMetricsJsonl(await Deno.readTextFile(`${t.ctx.outDir}/metrics.jsonl`));
    assert(Math.abs(series[1].lr - 9e-4) < 1e-12, `lr decays: ${series[1].lr}`);
  } finally {
    await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-ebm: killed after iteration 3 and re-run, the result equals an uninterrupted run", async () => {
  const root = await Deno.makeTempDir();
  const input = await tinyImageInput(root);
  const reference = await contextWithResume(tiny, [input], `${root}/resume-a`);
  const killed = await contextWithResume(tiny, [input], `${root}/resume-b`);
  const rerun = await contextWithResume(tiny, [input], `${root}/resume-b`);
  try {
    await trainEbm(reference.ctx);
    await assertThrowsAsync(() => trainEbm(killed.ctx, { afterIteration: (i) => { if (i === 3) throw new Error("simulated kill"); } }), "simulated kill");
    assert(await exists(`${root}/resume-b/state.safetensors`), "resumable state kept");
    await trainEbm(rerun.ctx);
    assertEquals(rerun.metrics!.resumed_from, 2);
    const a = await runOutputs(reference.ctx.outDir), b = await runOutputs(rerun.ctx.outDir);
    assertEquals(b.series, a.series);
    assertEquals(b.weights, a.weights);
    assertEquals(b.bank, a.bank);
  } finally {
    for (const t of [reference, killed, rerun]) await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-ebm: a diverging run stops naming the iteration", async () => {
  const root = await Deno.makeTempDir();
  // A huge SGD step blows the weights up within a few iterations.
  const wild = TrainEbmConfig.parse({ ...tiny, optimizer_type: "sgd", lr_init: 1e30, lr_min: 1e30, lr_decay: 1, epsilon: 0, shortrun_init: "uniform", log_freq: 1 });
  const t = await contextWithResume(wild, [await tinyImageInput(root)]);
  try {
    await assertThrowsAsync(() => trainEbm(t.ctx), "Training diverged at iteration");
  } finally {
    await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-ebm: im_sz / im_ch disagreeing with the dataset is a clear error", async () => {
  const root = await Deno.makeTempDir();
  const t = await contextWithResume({ ...tiny, im_ch: 3 }, [await tinyImageInput(root)]);
  try {
    await assertThrowsAsync(() => trainEbm(t.ctx), "im_ch 3", "32×32×1");
  } finally {
    await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-ebm: persistent_bank_size sets the bank's size; every state is revisited and it survives a resume", async () => {
  const root = await Deno.makeTempDir();
  const input = await tinyImageInput(root);
  // 5 states for 8 images and batch 4: six iterations draw 24 states from 5, so each is visited.
  const small = TrainEbmConfig.parse({ ...tiny, persistent_bank_size: 5 });
  const reference = await contextWithResume(small, [input], `${root}/resume-a`);
  const killed = await contextWithResume(small, [input], `${root}/resume-b`);
  const rerun = await contextWithResume(small, [input], `${root}/resume-b`);
  try {
    await trainEbm(reference.ctx);
    const saved = await readSafetensors(`${reference.ctx.outDir}/bank.safetensors`);
    assertEquals(saved.tensors.bank.shape, [5, 32, 32, 1]);
    const initial = streamFor(123, 0, "bank-init").uniformArray(5 * 1024, -1, 1);
    const bank = saved.tensors.bank.data as Float32Array;
    for (let row = 0; row < 5; row++) {
      let moved = 0;
      for (let j = row * 1024; j < (row + 1) * 1024; j++) moved = Math.max(moved, Math.abs(bank[j] - initial[j]));
      assert(moved > 0, `bank state ${row} was never updated`);
    }
    await assertThrowsAsync(() => trainEbm(killed.ctx, { afterIteration: (i) => { if (i === 3) throw new Error("simulated kill"); } }), "simulated kill");
    await trainEbm(rerun.ctx);
    assertEquals(rerun.metrics!.resumed_from, 2);
    const a = await runOutputs(reference.ctx.outDir), b = await runOutputs(rerun.ctx.outDir);
    assertEquals(b.series, a.series);
    assertEquals(b.bank, a.bank);
  } finally {
    for (const t of [reference, killed, rerun]) await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
