/** Flow contrastive estimation: V and accuracy by hand, the threshold rule, which model steps, resume, divergence. */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createFceModels, FceTrainer, fceValue, MAX_SKIPPED_IN_A_ROW, nextModel, runFceTraining } from "../../lib/train/fce.ts";
import { TrainFceConfig } from "../../lib/train/fce_config.ts";
import { readFceMetrics } from "../../lib/artifacts/fce_files.ts";
import { sampleToy2d } from "../../lib/data/toy_2d.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

await initBackend("cpu");

Deno.test("FCE: the value function and accuracy match a hand computation (with the seed's ≥ / > ties)", () => {
  const logpX = [-1, -2, -3], logqX = [-2, -2, -1]; // data: d = 1, 0 (tie: counted correct, σ = ½ ≥ ½), −2
  const logpG = [-1, -4], logqG = [-1, -3];          // samples: d = log q − log p = 0 (tie: wrong, σ = ½ not > ½), 1
  const lse = (a: number, b: number) => Math.max(a, b) + Math.log(Math.exp(a - Math.max(a, b)) + Math.exp(b - Math.max(a, b)));
  const vx = logpX.map((p, i) => p - lse(p, logqX[i])), vg = logqG.map((q, i) => q - lse(logpG[i], q));
  const expected = vx.reduce((a, b) => a + b) / 3 + vg.reduce((a, b) => a + b) / 2;
  const { value, accuracy } = fceValue(tf.tensor1d(logpX), tf.tensor2d(logqX, [3, 1]), tf.tensor1d(logpG), tf.tensor1d(logqG));
  assertClose(value.dataSync()[0], expected, 1e-6, "V");
  assertEquals(accuracy, (2 + 1) / 5, "accuracy");
  // At chance (p = q everywhere) V = 2·log ½ = −log 4, the ceiling of −V the README quotes.
  const chance = fceValue(tf.zeros([4]), tf.zeros([4]), tf.zeros([4]), tf.zeros([4]));
  assertClose(chance.value.dataSync()[0], -Math.log(4), 1e-6, "V at chance");
  tf.dispose([value, chance.value]);
});

Deno.test("FCE: the threshold rule trains the EBM while accuracy ≤ threshold, else the flow", () => {
  assertEquals([nextModel(0.5, 0.6), nextModel(0.6, 0.6), nextModel(0.6001, 0.6), nextModel(0.9, 0.6)], ["ebm", "ebm", "flow", "flow"]);
});

const small = TrainFceConfig.parse({ flow: "maf", batch: 64, ebm_hidden: 16, maf_hidden: 8, maf_blocks: 2, glow_width: 8, glow_depth: 1, lr_ebm: 1e-3, lr_flow: 1e-3 });

Deno.test("FCE: an EBM step moves only the EBM and raises V; a flow step moves only the flow and lowers V", () => {
  for (const flowKind of ["maf", "glow"] as const) {
    const config = { ...small, flow: flowKind };
    const { ebm, flow } = createFceModels(config, 1);
    const trainer = new FceTrainer(ebm, flow, config);
    const x = tf.tensor2d(sampleToy2d("8gaussians", 64, new Random(2)), [64, 2]);
    const z = tf.tensor2d(new Random(3).normalArray(128), [64, 2]);
    flow.initialize(x);
    const snapshot = () => [...ebm.params, ...flow.params].map((p) => ({ key: p.key, isEbm: ebm.params.includes(p), v: Array.from(p.variable.dataSync()) }));
    for (const model of ["ebm", "flow"] as const) {
      const before = snapshot();
      const { value } = trainer.step(x, z, model);
      const after = snapshot();
      for (let i = 0; i < before.length; i++) {
        const moved = before[i].v.some((v, j) => v !== after[i].v[j]);
        const shouldMove = before[i].isEbm === (model === "ebm");
        if (!shouldMove) assert(!moved, `${flowKind}: a ${model} step moved ${before[i].key}`);
      }
      assert(before.some((b, i) => b.isEbm === (model === "ebm") && b.v.some((v, j) => v !== after[i].v[j])), `${flowKind}: a ${model} step moved none of its parameters`);
      // V of the same batch after the step: the EBM ascends it, the flow descends it.
      const again = tf.tidy(() => {
        const { x: g, logProb } = flow.sampleFrom(z);
        const r = fceValue(tf.neg(ebm.energy(x)), flow.logProb(x), tf.neg(ebm.energy(g)), logProb);
        return r.value.dataSync()[0];
      });
      if (model === "ebm") assert(again > value, `${flowKind}: V ${value} → ${again} after an EBM step`);
      else assert(again < value, `${flowKind}: V ${value} → ${again} after a flow step`);
    }
    tf.dispose([x, z]);
    trainer.dispose();
  }
});

function runOptions(dir: string, config: TrainFceConfig, points: Float32Array, afterStep?: (i: number) => void) {
  const log = { info: () => {}, warn: () => {}, debug: () => {} };
  return { config, points, dataset: "8gaussians", seed: 7, resumeDir: `${dir}/resume`, outDir: `${dir}/out`, log, progress: { update() {} }, backend: "cpu", afterStep };
}

Deno.test("FCE training: a run killed after a step resumes to exactly the uninterrupted result", async () => {
  const points = sampleToy2d("8gaussians", 300, new Random(5));
  const config = { ...small, flow: "glow" as const, steps: 8, checkpoint_freq: 4, eval_freq: 4, eval_samples: 500, grid_res: 8 };
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  try {
    const whole = await runFceTraining(runOptions(a, config, points));
    await assertThrowsAsync(() => runFceTraining(runOptions(b, config, points, (i) => {
      if (i === 6) throw new Error("killed after step 6");
    })), "killed after step 6");
    const resumed = await runFceTraining(runOptions(b, config, points));
    assertEquals(resumed.resumed_from, 4);
    const ra = await readFceMetrics(`${a}/out/metrics.jsonl`), rb = await readFceMetrics(`${b}/out/metrics.jsonl`);
    assertEquals(rb.map((r) => [r.iter, r.model, r.value, r.accuracy, r.mse_logp]), ra.map((r) => [r.iter, r.model, r.value, r.accuracy, r.mse_logp]));
    assertEquals(Array.from(await Deno.readFile(`${b}/out/ebm.safetensors`)), Array.from(await Deno.readFile(`${a}/out/ebm.safetensors`)));
    assertEquals(whole.steps, 8);
    // The loop applies the threshold rule: each step's model follows from the previous step's accuracy.
    for (let i = 1; i < ra.length; i++) assertEquals(ra[i].model, nextModel(ra[i - 1].accuracy, 0.6), `step ${ra[i].iter}`);
    assert(typeof whole.mse_logp === "number" && whole.mse_logp > 0, `mse_logp ${whole.mse_logp}`);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("FCE training: a non-finite value stops the run with a clear error", async () => {
  const points = new Float32Array(200).fill(3e38); // f(x) overflows float32
  const dir = await Deno.makeTempDir();
  try {
    await assertThrowsAsync(() => runFceTraining(runOptions(dir, { ...small, steps: 3 }, points)), "Training diverged at iteration 1", "not finite");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FCE: a finite V with a non-finite gradient takes no step and names the parameter", () => {
  const { ebm, flow } = createFceModels(small, 1);
  const trainer = new FceTrainer(ebm, flow, small);
  const x = tf.tensor2d(sampleToy2d("8gaussians", 64, new Random(2)), [64, 2]);
  const z = tf.tensor2d(new Random(3).normalArray(128), [64, 2]);
  // The energy's value unchanged, its gradient ∞: what a sample overflowing in the backward pass does.
  const energy = ebm.energy.bind(ebm);
  const infGrad = tf.customGrad(((e: tf.Tensor) => ({ value: tf.clone(e), gradFunc: (dy: tf.Tensor) => tf.mul(dy, Infinity) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  ebm.energy = (v: tf.Tensor2D) => infGrad(energy(v)) as tf.Tensor1D;
  const before = ebm.params.map((p) => Array.from(p.variable.dataSync()));
  for (const overflow of ["stop", "drop"] as const) {
    const r = trainer.step(x, z, "ebm", overflow);
    assert(Number.isFinite(r.value) && Number.isFinite(r.accuracy), `V ${r.value}, accuracy ${r.accuracy}`);
    assert(r.nonFiniteGradient?.startsWith("ebm.") ?? false, `nonFiniteGradient ${r.nonFiniteGradient}`);
    ebm.params.forEach((p, i) => assertEquals(Array.from(p.variable.dataSync()), before[i], `${overflow}: ${p.key} moved`));
  }
  ebm.energy = energy;
  const ok = trainer.step(x, z, "ebm", "drop");
  assertEquals(ok.nonFiniteGradient, null);
  assert(ebm.params.some((p, i) => Array.from(p.variable.dataSync()).some((v, j) => v !== before[i][j])), "a finite gradient steps");
  tf.dispose([x, z]);
  trainer.dispose();
});

Deno.test("FCE: a batch whose every flow sample overflows has no V and takes no step", () => {
  for (const model of ["ebm", "flow"] as const) {
    const { ebm, flow } = createFceModels(small, 1);
    const trainer = new FceTrainer(ebm, flow, small);
    const x = tf.tensor2d(sampleToy2d("8gaussians", 64, new Random(2)), [64, 2]);
    const z = tf.fill([64, 2], 3e38) as tf.Tensor2D; // every sample overflows float32
    const before = [...ebm.params, ...flow.params].map((p) => Array.from(p.variable.dataSync()));
    const r = trainer.step(x, z, model, "drop");
    assertEquals(r.dropped, 64);
    assert(Number.isNaN(r.value) && Number.isNaN(r.accuracy), `${model}: V ${r.value}, accuracy ${r.accuracy}`);
    [...ebm.params, ...flow.params].forEach((p, i) => assertEquals(Array.from(p.variable.dataSync()), before[i], `${model}: ${p.key} moved`));
    tf.dispose([x, z]);
    trainer.dispose();
  }
});

/**
 * Runs `body` in a fresh temporary directory while every FceTrainer step whose 1-based call number
 * satisfies `skipAt` reports a non-finite gradient (the step itself runs as usual); `reset()`
 * restarts the call count.
 */
async function withFakeSkips(skipAt: (call: number) => boolean, body: (dir: string, reset: () => void) => Promise<void>): Promise<void> {
  const original = FceTrainer.prototype.step;
  let calls = 0;
  FceTrainer.prototype.step = function (this: FceTrainer, ...args: Parameters<FceTrainer["step"]>) {
    const r = original.apply(this, args);
    return skipAt(++calls) ? { ...r, nonFiniteGradient: "flow.test.weight" } : r;
  };
  const dir = await Deno.makeTempDir();
  try {
    await body(dir, () => calls = 0);
  } finally {
    FceTrainer.prototype.step = original;
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FCE training: a skipped step is recorded under overflow: drop and stops the run under overflow: stop", async () => {
  const points = sampleToy2d("8gaussians", 300, new Random(5));
  await withFakeSkips((call) => call === 3, async (dir, reset) => {
    const summary = await runFceTraining(runOptions(`${dir}/a`, { ...small, steps: 5, overflow: "drop" }, points));
    const records = await readFceMetrics(`${dir}/a/out/metrics.jsonl`);
    assertEquals(records.map((r) => r.skipped ?? false), [false, false, true, false, false]);
    assertEquals(summary.skipped_steps, 1);
    reset();
    await assertThrowsAsync(() => runFceTraining(runOptions(`${dir}/b`, { ...small, steps: 5 }, points)), "Training diverged at iteration 3", "gradient of 'flow.test.weight' is not finite");
  });
});

Deno.test("FCE training: a batch whose every flow sample overflows stops the run with a clear error", async () => {
  const points = sampleToy2d("8gaussians", 300, new Random(5));
  const original = FceTrainer.prototype.step;
  FceTrainer.prototype.step = function (this: FceTrainer, x: tf.Tensor2D, z: tf.Tensor2D, model: "ebm" | "flow", overflow?: "stop" | "drop") {
    return original.call(this, x, tf.mul(z, 1e38) as tf.Tensor2D, model, overflow);
  };
  const dir = await Deno.makeTempDir();
  try {
    await assertThrowsAsync(() => runFceTraining(runOptions(dir, { ...small, steps: 3, overflow: "drop" }, points)), "Training diverged at iteration 1", "every one of the 64 flow samples overflowed");
  } finally {
    FceTrainer.prototype.step = original;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FCE training: under overflow: drop, MAX_SKIPPED_IN_A_ROW skipped steps in a row stop the run; isolated skips do not", async () => {
  const points = sampleToy2d("8gaussians", 300, new Random(5));
  const config = { ...small, steps: 30, overflow: "drop" as const, log_freq: 100, checkpoint_freq: 100 };
  await withFakeSkips((call) => call >= 3, async (dir) => {
    await assertThrowsAsync(() => runFceTraining(runOptions(dir, config, points)), `Training diverged at iteration ${3 + MAX_SKIPPED_IN_A_ROW - 1}`, `not been finite for ${MAX_SKIPPED_IN_A_ROW} steps in a row`);
  });
  // Every other step skipped: never MAX_SKIPPED_IN_A_ROW in a row, so the run finishes.
  await withFakeSkips((call) => call % 2 === 0, async (dir) => {
    const summary = await runFceTraining(runOptions(dir, config, points));
    assertEquals(summary.skipped_steps, 15);
  });
});
