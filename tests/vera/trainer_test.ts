/** VERA's EBM loss terms, the training iteration, its resumable state and the lr schedule. */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createNet } from "../../lib/nets/net.ts";
import { toyGeneratorArch } from "../../lib/nets/generator.ts";
import { VeraGenerator } from "../../lib/vera/generator.ts";
import { scheduledLr, VeraKnobs } from "../../lib/vera/config.ts";
import { energyModel, VeraTrainer } from "../../lib/vera/trainer.ts";
import { crossEntropy, predictionEntropy, veraEbmLoss } from "../../lib/vera/losses.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

await initBackend("cpu");

Deno.test("the mlp energy has the seed's keys and torch shapes", () => {
  const net = createNet("mlp", { n_c: 2, n_f: 100 }, 1);
  const sd = net.stateDict();
  assertEquals(Object.entries(sd).map(([k, v]) => [k, v.shape]), [["f.0.weight", [100, 2]], ["f.0.bias", [100]], ["f.2.weight", [100, 100]], ["f.2.bias", [100]], ["f.4.weight", [1, 100]], ["f.4.bias", [1]]]);
  net.dispose();
});

Deno.test("every loss term matches its definition, the gradient penalty included (finite differences)", () => {
  const net = createNet("mlp", { n_c: 2, n_f: 8 }, 3);
  const model = energyModel(net);
  const rng = new Random(4);
  const xd = tf.tensor2d(rng.normalArray(20), [10, 2]), xg = tf.tensor2d(rng.normalArray(20), [10, 2]);
  const knobs = { p_control: 0.3, n_control: 0.2, pg_control: 0.5, clf_weight: 0, clf_ent_weight: 0 };
  const lossValue = () => tf.tidy(() => veraEbmLoss(model, { xData: xd, xGen: xg }, knobs).loss.dataSync()[0]);
  // Value: by hand from f = −E and a numerical input gradient.
  const f = (x: tf.Tensor) => tf.neg(net.energy(x));
  const fd = f(xd).dataSync(), fg = f(xg).dataSync();
  const gx = tf.grad((x: tf.Tensor) => tf.sum(f(x)))(xd).dataSync();
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
  let gp = 0;
  for (let i = 0; i < 10; i++) gp += (gx[2 * i] ** 2 + gx[2 * i + 1] ** 2) / 2 / 10;
  const expected = -(mean(fd) - mean(fg)) + 0.3 * mean(Array.from(fd, (v) => v * v)) + 0.2 * mean(Array.from(fg, (v) => v * v)) + 0.5 * gp;
  assertClose(lossValue(), expected, 1e-5, "loss value");
  // Gradient (double backward through ∇ₓf) against central differences on f.2.bias.
  const p = net.params.find((q) => q.key === "f.2.bias")!;
  const { grads } = tf.variableGrads(() => veraEbmLoss(model, { xData: xd, xGen: xg }, knobs).loss, [p.variable]);
  const analytic = grads[p.variable.name].dataSync();
  const base = Float32Array.from(p.variable.dataSync());
  const numeric = new Float64Array(8);
  for (let j = 0; j < 8; j++) {
    const h = 1e-2;
    for (const sign of [1, -1]) {
      const v = Float32Array.from(base);
      v[j] += sign * h;
      p.variable.assign(tf.tensor1d(v));
      numeric[j] += sign * lossValue() / (2 * h);
    }
  }
  p.variable.assign(tf.tensor1d(base));
  assertClose(analytic, numeric, 2e-2, "gradient with pg_control");
  tf.dispose([xd, xg, grads[p.variable.name]]);
  net.dispose();
});

Deno.test("classifier terms: cross-entropy, prediction entropy, and a clear error without logits", async () => {
  const logits = tf.tensor2d([[2, 0, 0], [0, 0, 0]]);
  const ce = crossEntropy(logits, tf.tensor1d([0, 2], "int32")).dataSync()[0];
  const lse = Math.log(Math.exp(2) + 2);
  assertClose(ce, ((lse - 2) + Math.log(3)) / 2, 1e-5, "cross-entropy");
  const p = [Math.exp(2) / (Math.exp(2) + 2), 1 / (Math.exp(2) + 2)];
  const h1 = -(p[0] * Math.log(p[0]) + 2 * p[1] * Math.log(p[1]));
  assertClose(predictionEntropy(logits).dataSync()[0], (h1 + Math.log(3)) / 2, 1e-5, "entropy");
  const net = createNet("mlp", { n_c: 2, n_f: 4 }, 1);
  await assertThrowsAsync(async () => veraEbmLoss(energyModel(net), { xData: tf.zeros([2, 2]), xGen: tf.zeros([2, 2]) }, { p_control: 0, n_control: 0, pg_control: 0, clf_weight: 1, clf_ent_weight: 0.1 }), "joint classifier");
  net.dispose();
});

Deno.test("learning-rate schedule: warm-up, then MultiStep decays at decay_epochs", () => {
  const k = { warmup_iters: 10, decay_epochs: [160, 180], decay_rate: 0.3 };
  assertClose(scheduledLr(1e-3, 0, k, 1), 1e-4, 1e-9, "warm-up start");
  assertClose(scheduledLr(1e-3, 9, k, 1), 1e-3, 1e-9, "warm-up end");
  assertClose(scheduledLr(1e-3, 159, k, 1), 1e-3, 1e-9, "before the first milestone");
  assertClose(scheduledLr(1e-3, 160, k, 1), 3e-4, 1e-9, "first milestone");
  assertClose(scheduledLr(1e-3, 180, k, 1), 9e-5, 1e-9, "second milestone");
  assertClose(scheduledLr(1e-3, 30, { ...k, decay_epochs: [0.5] }, 50), 3e-4, 1e-9, "milestones in epochs of 50 batches");
});

function makeTrainer(knobs: VeraKnobs, seed = 1) {
  const net = createNet("mlp", { n_c: 2, n_f: 16 }, seed);
  const gen = new VeraGenerator(toyGeneratorArch(knobs.noise_dim, 2, 16), knobs, seed + 1);
  return { net, gen, trainer: new VeraTrainer(energyModel(net), gen, knobs, 1) };
}

for (const generator_type of ["vera", "verahmc"] as const) {
  Deno.test(`${generator_type}: iterations run, σ stays clamped, and a restored state continues identically`, () => {
    const knobs = VeraKnobs.parse({ batch_size: 16, h_dim: 16, generator_type, max_sigma: 0.05, init_sigma: 0.04, num_samples_posterior: 4 });
    const data = (i: number) => tf.tensor2d(new Random(1000 + i).normalArray(32), [16, 2]);
    const a = makeTrainer(knobs);
    for (let i = 0; i < 3; i++) {
      const x = data(i);
      const s = a.trainer.iterate(i, x, new Random(i));
      x.dispose();
      assert(Number.isFinite(s.d_t) && Number.isFinite(s.r_t) && s.ent_gn > 0, `iteration ${i}: ${JSON.stringify(s)}`);
      assert(s.sigma <= 0.05 + 1e-7 && s.sigma >= 0.01 - 1e-7, `σ = ${s.sigma}`);
      if (generator_type === "verahmc") assert(s.hmc_accept !== null && s.hmc_accept >= 0 && s.hmc_accept <= 1, "acceptance");
    }
    const state = a.trainer.stateTensors();
    const b = makeTrainer(knobs, 7);
    b.trainer.restore(state, "test state");
    for (const t of [a, b]) {
      const x = data(3);
      t.trainer.iterate(3, x, new Random(3));
      x.dispose();
    }
    assertClose(b.net.stateDict()["f.2.weight"].data, a.net.stateDict()["f.2.weight"].data, 1e-6, "EBM weights after the restored iteration");
    assertClose(b.gen.stateDict()["g.3.weight"].data, a.gen.stateDict()["g.3.weight"].data, 1e-6, "generator weights");
    assertClose(b.gen.stepsize, a.gen.stepsize, 1e-9, "HMC step size");
    for (const t of [a, b]) {
      t.net.dispose();
      t.gen.dispose();
    }
  });
}

// The generator alone against a FIXED log-density f = log N(m, s²I) (the EBM is a frozen function:
// its only parameter does not enter f): the generator step minimises −(E_q f + H(q)), whose optimum
// is q = N(m, s²I). The sample mean and sd must land there — a wrong sign or scale of the entropy
// surrogate, of σ's gradient or of the posterior's score would leave the sd at the σ floor or far off.
Deno.test("vera: the generator alone, against a fixed Gaussian log-density, reaches q = p (mean and sd)", () => {
  const m = [1, -0.5], s = 0.2, n = 400;
  const knobs = VeraKnobs.parse({ batch_size: 100, h_dim: 16, glr: 0.01, num_samples_posterior: 10, e_iters: 1000000, decay_epochs: [1000000] });
  const frozen = tf.variable(tf.zeros([1]), true);
  const model = {
    params: [{ key: "frozen", spec: { key: "frozen", torchShape: [1], layout: "vector" as const, init: { kind: "zeros" as const } }, variable: frozen }],
    logp: (x: tf.Tensor) => tf.tidy(() => tf.add(tf.mul(tf.sum(tf.square(tf.sub(x, tf.tensor1d(m))), 1), -0.5 / (s * s)), tf.mul(tf.sum(frozen), 0)) as tf.Tensor1D),
  };
  const gen = new VeraGenerator(toyGeneratorArch(knobs.noise_dim, 2, 16), knobs, 5);
  const trainer = new VeraTrainer(model, gen, knobs, 1);
  const xData = tf.zeros([100, 2]);
  for (let i = 0; i < n; i++) trainer.iterate(i, xData, new Random(100 + i));
  const pts: number[][] = [];
  const rng = new Random(99);
  for (let b = 0; b < 10; b++) {
    const { x, h, mu, xi } = gen.sample(100, rng);
    const v = x.dataSync();
    for (let i = 0; i < 100; i++) pts.push([v[2 * i], v[2 * i + 1]]);
    tf.dispose([x, h, mu, xi]);
  }
  for (const d of [0, 1]) {
    const mean = pts.reduce((a, p) => a + p[d], 0) / pts.length;
    const sd = Math.sqrt(pts.reduce((a, p) => a + (p[d] - mean) ** 2, 0) / (pts.length - 1));
    assert(Math.abs(mean - m[d]) < 0.05, `axis ${d}: sample mean ${mean}, target ${m[d]}`);
    assert(Math.abs(sd / s - 1) < 0.15, `axis ${d}: sample sd ${sd}, target ${s} (σ = ${gen.sigma()})`);
  }
  tf.dispose([xData, frozen]);
  gen.dispose();
});
