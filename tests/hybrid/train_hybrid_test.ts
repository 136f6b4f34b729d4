/**
 * `train-hybrid` end to end on a tiny labelled dataset: outputs, resume after a simulated kill
 * (same final weights and logs as an uninterrupted run), the stop on a non-finite loss, and
 * `eval-hybrid` + `plot-hybrid` on its model.
 */
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { writeImageDataset } from "../../lib/data/dataset_file.ts";
import { TrainHybridConfig } from "../../lib/hybrid/config.ts";
import { readHybridModel } from "../../lib/artifacts/hybrid_model.ts";
import { readEpochLog } from "../../lib/artifacts/hybrid_epochs.ts";
import { readHybridEval } from "../../lib/artifacts/hybrid_eval.ts";
import { readSampleBatches } from "../../lib/artifacts/hybrid_samples.ts";
import { exists } from "../../lib/util/fs.ts";
import { Random } from "../../lib/util/random.ts";
import { trainHybrid } from "../../tasks/train-hybrid.ts";
import evalHybrid, { EvalHybridConfig } from "../../tasks/eval-hybrid.ts";
import plotHybrid from "../../tasks/plot-hybrid.ts";
import type { StepInput } from "../../lib/task.ts";
import { makeTestContext } from "../task_context.ts";
import { contextWithResume } from "../train/helpers.ts";

await initBackend("cpu");

/** `n` 6×6 images of 3 classes (a bright row per class plus noise), labelled. */
async function labelledInput(root: string, name: string, n: number): Promise<StepInput> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  const rng = new Random(n);
  const images = new Float32Array(n * 36), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 36; p++) images[i * 36 + p] = (Math.floor(p / 6) === 2 * labels[i] ? 0.8 : -0.8) + 0.1 * rng.normal();
  }
  await writeImageDataset(`${dir}/data.safetensors`, { images, shape: [n, 6, 6, 1], labels }, { source: "test" });
  return { id: name, task: "test-images", dir };
}

const tiny = TrainHybridConfig.parse({
  epochs: 2, batch_size: 4, langevin_steps: 3, langevin_alpha: 0.1, langevin_sigma: 0.05, lr: 1e-2,
  validation_size: 4, hidden: [8, 8], classes: 3, log_freq: 2,
});

async function outputs(dir: string) {
  const model = await readHybridModel(`${dir}/model.safetensors`);
  return {
    weights: Object.fromEntries(Object.entries(model.stateDict).map(([k, v]) => [k, Array.from(v.data)])),
    epochs: await readEpochLog(`${dir}/epochs.jsonl`),
    metrics: await Deno.readTextFile(`${dir}/metrics.jsonl`),
  };
}

Deno.test("train-hybrid: a tiny run writes the model in PyTorch layout, per-iteration and per-epoch logs", async () => {
  const root = await Deno.makeTempDir();
  const t = await contextWithResume(tiny, [await labelledInput(root, "data", 14)]);
  try {
    await trainHybrid(t.ctx);
    const model = await readHybridModel(`${t.ctx.outDir}/model.safetensors`);
    assertEquals(Object.keys(model.stateDict), ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias"]);
    assertEquals(model.stateDict["net.0.weight"].shape, [8, 36]);
    assertEquals(model.energySign, "jem");
    // 10 training images, batch 4 → 3 iterations per epoch (the last one of 2 images).
    const epochs = await readEpochLog(`${t.ctx.outDir}/epochs.jsonl`);
    assertEquals(epochs.map((e) => [e.epoch, e.iterations]), [[1, 3], [2, 6]]);
    assert(epochs.every((e) => e.val_accuracy !== null && e.energy_sample !== null), JSON.stringify(epochs));
    const lines = (await Deno.readTextFile(`${t.ctx.outDir}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, 6);
    for (const key of ["d_t", "r_t", "loss", "ce", "accuracy", "energy_real", "energy_sample"]) assert(typeof lines[0][key] === "number", `metrics.jsonl has ${key}`);
    const negatives = await readSampleBatches(`${t.ctx.outDir}/negatives.safetensors`);
    assertEquals(negatives.negatives.shape, [2, 6, 6, 1]);
    assertEquals(t.metrics!.epochs, 2);
  } finally {
    await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-hybrid: lr_decay multiplies the learning rate every iteration down to lr_min; the default keeps the seed's constant rate", async () => {
  const root = await Deno.makeTempDir();
  const input = await labelledInput(root, "data", 14);
  const decayed = await contextWithResume({ ...tiny, lr_decay: 0.5, lr_min: 2e-3 }, [input], `${root}/resume-a`);
  const constant = await contextWithResume(tiny, [input], `${root}/resume-b`);
  try {
    await trainHybrid(decayed.ctx);
    await trainHybrid(constant.ctx);
    const lrs = async (dir: string) => (await Deno.readTextFile(`${dir}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l).lr as number);
    // 1e-2, 5e-3, 2.5e-3, then the floor 2e-3.
    assertEquals(await lrs(decayed.ctx.outDir), [1e-2, 5e-3, 2.5e-3, 2e-3, 2e-3, 2e-3]);
    assertEquals(await lrs(constant.ctx.outDir), [1e-2, 1e-2, 1e-2, 1e-2, 1e-2, 1e-2]);
    const a = await outputs(decayed.ctx.outDir), b = await outputs(constant.ctx.outDir);
    assert(JSON.stringify(a.weights) !== JSON.stringify(b.weights), "the decayed run's weights differ");
  } finally {
    for (const t of [decayed, constant]) await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-hybrid: killed after iteration 3 and re-run, the final weights and logs equal an uninterrupted run", async () => {
  const root = await Deno.makeTempDir();
  const input = await labelledInput(root, "data", 14);
  const reference = await contextWithResume(tiny, [input], `${root}/resume-a`);
  const killed = await contextWithResume(tiny, [input], `${root}/resume-b`);
  const rerun = await contextWithResume(tiny, [input], `${root}/resume-b`);
  try {
    await trainHybrid(reference.ctx);
    // Killed mid-epoch 1 → the state of iteration 2 carries a partial epoch's sums.
    await assertThrowsAsync(() => trainHybrid(killed.ctx, { afterIteration: (i) => { if (i === 3) throw new Error("simulated kill"); } }), "simulated kill");
    assert(await exists(`${root}/resume-b/state.safetensors`), "resumable state kept");
    await trainHybrid(rerun.ctx);
    assertEquals(rerun.metrics!.resumed_from, 2);
    const a = await outputs(reference.ctx.outDir), b = await outputs(rerun.ctx.outDir);
    assertEquals(b.weights, a.weights);
    assertEquals(b.epochs, a.epochs);
    const strip = (text: string) => text.trim().split("\n").map((l) => { const r = JSON.parse(l); delete r.seconds; return r; });
    assertEquals(strip(b.metrics), strip(a.metrics));
  } finally {
    for (const t of [reference, killed, rerun]) await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-hybrid: a non-finite loss stops training naming the iteration", async () => {
  const root = await Deno.makeTempDir();
  const wild = TrainHybridConfig.parse({ ...tiny, lr: 1e30, log_freq: 1 });
  const t = await contextWithResume(wild, [await labelledInput(root, "data", 14)]);
  try {
    await assertThrowsAsync(() => trainHybrid(t.ctx), "Training diverged at iteration");
  } finally {
    await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train-hybrid: with on_diverge stop, a divergence ends training on the last good checkpoint and says where and why", async () => {
  const root = await Deno.makeTempDir();
  const wild = TrainHybridConfig.parse({ ...tiny, lr: 1e30, log_freq: 1, on_diverge: "stop" });
  const t = await contextWithResume(wild, [await labelledInput(root, "data", 14)]);
  try {
    await trainHybrid(t.ctx);
    const m = t.metrics!;
    assert(typeof m.diverged_at === "number" && typeof m.diverged_reason === "string", JSON.stringify(m));
    assertEquals(m.weights_from_iteration, (m.diverged_at as number) - 1, "log_freq 1: the iteration before");
    assert(await exists(`${t.ctx.outDir}/model.safetensors`), "the model of the last good checkpoint is written");
    const lines = (await Deno.readTextFile(`${t.ctx.outDir}/metrics.jsonl`)).trim().split("\n");
    assertEquals(lines.length, (m.diverged_at as number) - 1, "metrics.jsonl stops before the diverged iteration");
    assert(t.logs.some((l) => l.startsWith("warn Training diverged at iteration")), t.logs.join("\n"));
  } finally {
    await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("eval-hybrid and plot-hybrid: accuracy, calibration, energies, samples and figures of a trained tiny model", async () => {
  const root = await Deno.makeTempDir();
  const train = await contextWithResume(tiny, [await labelledInput(root, "data", 14)]);
  try {
    await trainHybrid(train.ctx);
    const trainInput = { id: "train", task: "train-hybrid", dir: train.ctx.outDir };
    const config = EvalHybridConfig.parse({ samples: 4, samples_per_class: 2, noise_images: 20, bins: 15 });
    const ev = await makeTestContext(config, { inputs: [trainInput, await labelledInput(root, "test", 9)], seed: 5 });
    try {
      await evalHybrid.run(ev.ctx);
      const r = await readHybridEval(ev.ctx.outDir);
      assertEquals(r.test_images, 9);
      assertEquals(r.model_from, "train");
      assertEquals(r.reliability.length, 15);
      assertEquals(r.reliability.reduce((a, b) => a + b.count, 0), 9);
      assertEquals(r.sampler.steps, 3, "the sampler defaults to the model's training η");
      assertEquals([r.energies.test.count, r.energies.noise.count, r.energies.samples.count], [9, 20, 4]);
      const samples = await readSampleBatches(`${ev.ctx.outDir}/samples.safetensors`);
      assertEquals(samples.conditional.shape, [6, 6, 6, 1]);
      assertEquals(Array.from(samples.conditional.labels!), [0, 0, 1, 1, 2, 2]);
      assert(samples.unconditional.images.every((v) => v >= -1 && v <= 1), "samples clamped to [−1, 1]");
      const plot = await makeTestContext({}, { inputs: [trainInput, { id: "eval", task: "eval-hybrid", dir: ev.ctx.outDir }] });
      try {
        await plotHybrid.run(plot.ctx);
        const files = [...Deno.readDirSync(plot.ctx.outDir)].map((e) => e.name).sort();
        for (const f of ["train-training.png", "train-negatives.png", "eval-reliability.png", "eval-energies.png", "eval-unconditional.png", "eval-conditional.png"]) {
          assert(files.includes(f), `missing ${f} in ${files}`);
        }
        assertEquals(plot.metrics!.train_test_accuracy, r.test_accuracy);
      } finally {
        await plot.dispose();
      }
    } finally {
      await ev.dispose();
    }
  } finally {
    await train.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
