/**
 * lib/vera/classifier.ts (VERA's JEM and semi-supervised runs, and the supervised-only baseline):
 * which rows the labelled batches come from, that the baseline never moves the generator, that
 * the model file round-trips with its activation (eval-hybrid rebuilds the network from it), and
 * that a killed run resumes to the weights of an uninterrupted one.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { VeraClassifierConfig, VeraClassifierProblem } from "../../lib/vera/classifier.ts";
import { loadHybridNetwork } from "../../lib/artifacts/hybrid_model.ts";
import { readEpochLog } from "../../lib/artifacts/hybrid_epochs.ts";
import { runTrainingLoop } from "../../lib/train/loop.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals } from "../assert.ts";

await initBackend("cpu");

const d = 6, classes = 3, n = 120;
const rng = new Random(3);
const y = Int32Array.from({ length: n }, (_, i) => i % classes);
const x = Float32Array.from({ length: n * d }, (_, i) => rng.normal() * 0.5 + (y[Math.floor(i / d)] - 1) * (i % d === 0 ? 2 : 0));
const val = { x: x.slice(0, 30 * d), y: y.slice(0, 30) };
const tiny = {
  hidden: [16, 16], activation: "leaky_relu", noise_dim: 4, batch_size: 20, n_epochs: 2, num_samples_posterior: 3,
  log_every: 3, summary_window: 6,
};
const data = { train: { x, y }, val, test: val, d, classes };

Deno.test("VERA classifier: semi-supervised labelled batches come from the seeded subset; JEM's from the data batch", () => {
  const ssl = new VeraClassifierProblem(VeraClassifierConfig.parse({ ...tiny, labels_per_class: 4 }), data, 11);
  const subset = new Set(ssl.labelled!);
  assertEquals(subset.size, 12, "4 per class");
  for (let c = 0; c < classes; c++) assertEquals([...subset].filter((i) => y[i] === c).length, 4, `class ${c}`);
  for (let iter = 1; iter <= 5; iter++) {
    const lab = ssl.labelledIndices(iter, ssl.batchIndices(iter));
    assertEquals(lab.length, 12, "min(batch, subset) rows");
    assertEquals(new Set(lab).size, 12, "distinct");
    assert([...lab].every((i) => subset.has(i)), "only labelled rows");
  }
  const jem = new VeraClassifierProblem(VeraClassifierConfig.parse(tiny), data, 11);
  assertEquals(jem.labelled, null);
  const idx = jem.batchIndices(2);
  assertEquals(jem.labelledIndices(2, idx), idx, "JEM: the data batch is the labelled batch");
  assertEquals([jem.itersPerEpoch, jem.numIters], [6, 12], "120 rows / batch 20, 2 epochs");
});

Deno.test("VERA classifier: the supervised-only baseline moves the classifier, never the generator; the model file keeps its activation", async () => {
  const p = new VeraClassifierProblem(VeraClassifierConfig.parse({ ...tiny, labels_per_class: 4, supervised_only: true }), data, 11);
  const gen0 = p.gen.net.params.map((q) => Float32Array.from(q.variable.dataSync() as Float32Array));
  const w0 = Float32Array.from(p.mlp.params[0].variable.dataSync() as Float32Array);
  for (let i = 1; i <= 6; i++) await p.iterate(i);
  p.gen.net.params.forEach((q, i) => assertEquals(Array.from(q.variable.dataSync()), Array.from(gen0[i]), `generator ${q.key} unchanged`));
  assert(Array.from(p.mlp.params[0].variable.dataSync()).some((v, i) => v !== w0[i]), "the classifier trained");
  const dir = await Deno.makeTempDir({ prefix: "vera-clf-" });
  try {
    const metrics = await p.finish(dir);
    assertEquals([metrics.method, metrics.labelled_rows], ["supervised-only", 12]);
    assert(typeof metrics.test_accuracy === "number", "test accuracy measured");
    const epochs = await readEpochLog(`${dir}/epochs.jsonl`);
    assertEquals(epochs.map((e) => e.epoch), [1], "one epoch record after 6 iterations");
    assertEquals(epochs[0].energy_sample, null, "no generator energies for the baseline");
    const { mlp, model } = await loadHybridNetwork(`${dir}/model.safetensors`);
    assertEquals([model.size.activation, model.energySign], ["leaky_relu", "jem"]);
    const probe = tf.tensor2d(x.slice(0, 10 * d).map((v) => v * 3), [10, d]);
    assertClose(mlp.logits(probe).dataSync(), p.mlp.logits(probe).dataSync(), 1e-6, "the file's network computes the same logits (negative inputs included)");
    probe.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VERA classifier: a semi-supervised run killed after iteration 4 resumes to the uninterrupted weights", async () => {
  const weights: Float32Array[] = [];
  const gens: Float32Array[] = [];
  for (const kill of [false, true]) {
    const dir = await Deno.makeTempDir({ prefix: "vera-clf-resume-" });
    try {
      const make = () => {
        const p = new VeraClassifierProblem(VeraClassifierConfig.parse({ ...tiny, labels_per_class: 4 }), data, 5);
        p.finish = () => Promise.resolve({});
        return p;
      };
      const opts = {
        numIters: 8, logFreq: 2, lrInit: 1e-3, lrMin: 1e-3, lrDecay: 1, summaryWindow: 8, seed: 5, config: { test: true },
        resumeDir: `${dir}/resume`, outDir: `${dir}/out`, log: { info() {}, warn() {}, debug() {} } as never, progress: { update() {} } as never,
      };
      let last = make(), threw = false;
      try {
        await runTrainingLoop(last, { ...opts, afterIteration: kill ? (i: number) => { if (i === 4) throw new Error("killed"); } : undefined });
      } catch (e) {
        threw = (e as Error).message === "killed";
      }
      assertEquals(threw, kill, "killed run");
      if (kill) {
        last = make();
        await runTrainingLoop(last, opts);
      }
      weights.push(Float32Array.from(last.mlp.params[2].variable.dataSync() as Float32Array));
      gens.push(Float32Array.from(last.gen.net.params[0].variable.dataSync() as Float32Array));
      assertEquals(last.epochs.length, 1, "the epoch record survives the resume");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  assertEquals(Array.from(weights[1]), Array.from(weights[0]), "classifier weights");
  assertEquals(Array.from(gens[1]), Array.from(gens[0]), "generator weights");
});
