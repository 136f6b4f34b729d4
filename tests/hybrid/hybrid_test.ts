/**
 * The joint classifier-EBM (SPEC §6): the network's layout, both sign conventions, one Langevin
 * step and the clamp, and the loss against hand computations on a tiny MLP in float64.
 */
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertClose, assertEquals } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { classEnergyFromLogits, createMlpClassifier, energyFromLogits, mlpSizeOf, SEED_MLP } from "../../lib/nets/mlp_classifier.ts";
import { hybridLangevin } from "../../lib/hybrid/langevin.ts";
import { hybridLossGrads } from "../../lib/hybrid/objective.ts";
import { calibration } from "../../lib/hybrid/eval.ts";
import { decodeHybridModel, encodeHybridModel } from "../../lib/artifacts/hybrid_model.ts";
import { TrainHybridConfig } from "../../lib/hybrid/config.ts";
import { Random } from "../../lib/util/random.ts";
import type { StateDict } from "../../lib/nets/net.ts";

await initBackend("cpu");

// A tiny MLP 2 → 3 → 2 with hand-picked weights (PyTorch layout [out, in]).
const W0 = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5]], B0 = [0.1, -0.2, 0.3];
const W2 = [[1.0, -0.5, 2.0], [-1.5, 0.75, 0.25]], B2 = [0.05, -0.1];
const tinySd: StateDict = {
  "net.0.weight": { shape: [3, 2], data: Float32Array.from(W0.flat()) },
  "net.0.bias": { shape: [3], data: Float32Array.from(B0) },
  "net.2.weight": { shape: [2, 3], data: Float32Array.from(W2.flat()) },
  "net.2.bias": { shape: [2], data: Float32Array.from(B2) },
};
function tinyMlp() {
  const mlp = createMlpClassifier({ inputs: 2, hidden: [3], classes: 2 }, 0);
  mlp.loadStateDict(tinySd);
  return mlp;
}

const elu = (v: number) => (v > 0 ? v : Math.exp(v) - 1);
const eluGrad = (v: number) => (v > 0 ? 1 : Math.exp(v));
/** Hand forward pass in float64: pre-activations, hidden, logits. */
function handForward(x: number[]) {
  const pre = W0.map((row, j) => row[0] * x[0] + row[1] * x[1] + B0[j]);
  const h = pre.map(elu);
  const s = W2.map((row, k) => row.reduce((a, w, j) => a + w * h[j], 0) + B2[k]);
  return { pre, h, s };
}
const lse = (s: number[]) => {
  const m = Math.max(...s);
  return m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
};
/** ∇ₓ LogSumExp(s(x)) by the chain rule. */
function handGradLse(x: number[]): number[] {
  const { pre, s } = handForward(x);
  const l = lse(s), p = s.map((v) => Math.exp(v - l));
  const dh = [0, 1, 2].map((j) => p.reduce((a, pk, k) => a + pk * W2[k][j], 0));
  const dpre = dh.map((v, j) => v * eluGrad(pre[j]));
  return [0, 1].map((i) => dpre.reduce((a, v, j) => a + v * W0[j][i], 0));
}

Deno.test("hybrid MLP: the seed's layout and PyTorch keys, widths read back from a state_dict", () => {
  const mlp = createMlpClassifier(SEED_MLP, 1);
  const sd = mlp.stateDict();
  assertEquals(Object.keys(sd), ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias", "net.6.weight", "net.6.bias"]);
  assertEquals(sd["net.0.weight"].shape, [512, 784]);
  assertEquals(sd["net.6.weight"].shape, [10, 512]);
  assertEquals(mlpSizeOf(sd), SEED_MLP);
  // PyTorch's default init bound 1/√fan_in.
  const bound = 1 / Math.sqrt(784);
  assert(sd["net.0.weight"].data.every((v) => Math.abs(v) <= bound), "net.0.weight within ±1/√784");
  mlp.dispose();
});

Deno.test("hybrid MLP: logits and both sign conventions match a hand computation", () => {
  const mlp = tinyMlp();
  const xs = [[0.3, -0.8], [-1.2, 0.4]];
  const logits = mlp.logits(tf.tensor2d(xs));
  const hand = xs.map((x) => handForward(x).s);
  assertClose(logits.dataSync(), hand.flat(), 1e-5);
  assertClose(energyFromLogits(logits, "jem").dataSync(), hand.map((s) => -lse(s)), 1e-5, "jem: E = −LogSumExp(s)");
  assertClose(energyFromLogits(logits, "seed").dataSync(), hand.map((s) => lse(s)), 1e-5, "seed: E = +LogSumExp(s)");
  const y = tf.tensor1d([1, 0], "int32");
  assertClose(classEnergyFromLogits(logits, y, "jem").dataSync(), [-hand[0][1], -hand[1][0]], 1e-5, "jem: E(x, y) = −s_y");
  assertClose(classEnergyFromLogits(logits, y, "seed").dataSync(), [hand[0][1], hand[1][0]], 1e-5, "seed: E(x, y) = +s_y");
  mlp.dispose();
});

Deno.test("hybrid Langevin: one step is x − α∇ₓE + σz for either sign; the clamp applies once at the end or every step", () => {
  const mlp = tinyMlp();
  const x0 = [0.3, -0.8, -0.9, 0.95];
  const alpha = 0.7, sigma = 0.2;
  const z = new Random(9).normalArray(4);
  for (const sign of ["jem", "seed"] as const) {
    const f = sign === "jem" ? -1 : 1;
    const { states, gradNorm } = hybridLangevin((x) => energyFromLogits(mlp.logits(x), sign), Float32Array.from(x0), [2, 2], { steps: 1, alpha, sigma, clamp: "step", rng: new Random(9) });
    const want: number[] = [], norms: number[] = [];
    for (let r = 0; r < 2; r++) {
      const g = handGradLse(x0.slice(2 * r, 2 * r + 2)).map((v) => f * v);
      norms.push(Math.hypot(...g));
      for (let i = 0; i < 2; i++) want.push(Math.min(1, Math.max(-1, x0[2 * r + i] - alpha * g[i] + sigma * z[2 * r + i])));
    }
    assertClose(states, want, 1e-5, `${sign}: one step`);
    assertClose(gradNorm, (norms[0] + norms[1]) / 2, 1e-5, `${sign}: gradient norm`);
  }
  // Large steps leave [−1, 1]: "step" clamps after each step, "final" only after the last.
  const run = (clamp: "final" | "step", steps: number) =>
    hybridLangevin((x) => energyFromLogits(mlp.logits(x), "jem"), Float32Array.from(x0), [2, 2], { steps, alpha: 3, sigma: 1, clamp, rng: new Random(4) }).states;
  const z1 = new Random(4).normalArray(8);
  // Two steps by hand, unclamped in between (final) and clamped in between (step).
  const twoSteps = (clampBetween: boolean) => {
    const out: number[] = [];
    for (let r = 0; r < 2; r++) {
      let x = x0.slice(2 * r, 2 * r + 2);
      for (let s = 0; s < 2; s++) {
        const g = handGradLse(x).map((v) => -v);
        x = x.map((v, i) => v - 3 * g[i] + z1[s * 4 + 2 * r + i]);
        if (clampBetween || s === 1) x = x.map((v) => Math.min(1, Math.max(-1, v)));
      }
      out.push(...x);
    }
    return out;
  };
  assertClose(run("final", 2), twoSteps(false), 1e-4, "final clamp");
  assertClose(run("step", 2), twoSteps(true), 1e-4, "clamp every step");
  assert(run("final", 2).every((v) => v >= -1 && v <= 1), "final states lie in [−1, 1]");
  mlp.dispose();
});

Deno.test("hybrid Langevin: under JEM's sign chains raise LogSumExp (lower E); under the seed's they lower it", () => {
  const mlp = tinyMlp();
  const x0 = new Random(3).uniformArray(40, -1, 1);
  const lseOf = (s: Float32Array) => tf.tidy(() => tf.mean(tf.logSumExp(mlp.logits(tf.tensor2d(s, [20, 2])), 1)).dataSync()[0]);
  const before = lseOf(x0);
  for (const sign of ["jem", "seed"] as const) {
    const { states } = hybridLangevin((x) => energyFromLogits(mlp.logits(x), sign), x0, [20, 2], { steps: 20, alpha: 0.05, sigma: 0, clamp: "step", rng: new Random(1) });
    const after = lseOf(states);
    assert(sign === "jem" ? after > before : after < before, `${sign}: mean LogSumExp ${before} → ${after}`);
  }
  mlp.dispose();
});

Deno.test("hybrid loss: CE + w·(mean E(real) − mean E(sample)) and its gradient match hand computations for both signs", () => {
  const mlp = tinyMlp();
  const real = [[0.3, -0.8], [-1.2, 0.4], [0.5, 0.5]], labels = [1, 0, 1];
  const sample = [[0.9, -0.1], [-0.3, -0.6]];
  const hr = real.map((x) => handForward(x).s), hs = sample.map((x) => handForward(x).s);
  const ce = hr.reduce((a, s, i) => a + lse(s) - s[labels[i]], 0) / 3;
  for (const sign of ["jem", "seed"] as const) {
    for (const w of [1, 0.25]) {
      const f = sign === "jem" ? -1 : 1;
      const eReal = hr.reduce((a, s) => a + f * lse(s), 0) / 3, eSample = hs.reduce((a, s) => a + f * lse(s), 0) / 2;
      const r = hybridLossGrads(mlp, tf.tensor2d(real), tf.tensor1d(labels, "int32"), tf.tensor2d(sample), { sign, generativeWeight: w });
      assertClose(r.ce, ce, 1e-5, "cross-entropy");
      assertClose(r.energy_real, eReal, 1e-5);
      assertClose(r.energy_sample!, eSample, 1e-5);
      assertClose(r.gen, eReal - eSample, 1e-5);
      assertClose(r.loss, ce + w * (eReal - eSample), 1e-5, `${sign} w ${w}: total`);
      assertClose(r.accuracy, hr.filter((s, i) => (s[1] > s[0] ? 1 : 0) === labels[i]).length / 3, 1e-6);
      // ∂L/∂b₂ by hand: CE gives mean(p − onehot); E = f·LSE gives f·p per image.
      const softmax = (s: number[]) => s.map((v) => Math.exp(v - lse(s)));
      const gb = [0, 1].map((k) =>
        real.reduce((a, _, i) => a + (softmax(hr[i])[k] - (labels[i] === k ? 1 : 0)) / 3 + w * f * softmax(hr[i])[k] / 3, 0) -
        sample.reduce((a, _, i) => a + w * f * softmax(hs[i])[k] / 2, 0)
      );
      assertClose(r.grads["net.2.bias"].dataSync(), gb, 1e-5, `${sign} w ${w}: ∂L/∂net.2.bias`);
      tf.dispose(Object.values(r.grads));
    }
  }
  // The optional energy-magnitude penalty λ·(mean E(real)² + mean E(sample)²).
  const rl = hybridLossGrads(mlp, tf.tensor2d(real), tf.tensor1d(labels, "int32"), tf.tensor2d(sample), { sign: "jem", generativeWeight: 1, energyL2: 0.5 });
  const er = hr.map((s) => -lse(s)), es = hs.map((s) => -lse(s));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assertClose(rl.loss, ce + mean(er) - mean(es) + 0.5 * (mean(er.map((e) => e * e)) + mean(es.map((e) => e * e))), 1e-5, "with energy_l2");
  tf.dispose(Object.values(rl.grads));
  // Weight 0 without samples: cross-entropy alone.
  const r0 = hybridLossGrads(mlp, tf.tensor2d(real), tf.tensor1d(labels, "int32"), null, { sign: "jem", generativeWeight: 0 });
  assertClose(r0.loss, ce, 1e-5);
  assertEquals(r0.energy_sample, null);
  tf.dispose(Object.values(r0.grads));
  mlp.dispose();
});

Deno.test("hybrid eval: ECE and the reliability table over (lo, hi] bins", () => {
  const { ece, reliability } = calibration(Float32Array.of(0.95, 0.9, 0.55, 0.15), Uint8Array.of(1, 0, 1, 0), 5);
  // Bins (0.8, 1]: conf 0.925, acc 0.5; (0.4, 0.6]: conf 0.55, acc 1; (0, 0.2]: conf 0.15, acc 0.
  assertClose(ece, (2 / 4) * 0.425 + (1 / 4) * 0.45 + (1 / 4) * 0.15, 1e-6);
  assertEquals(reliability.map((b) => b.count), [1, 0, 1, 0, 2]);
  assertEquals(reliability[1].accuracy, null);
});

Deno.test("hybrid model file: PyTorch keys round-trip with the sign; a missing field names itself", () => {
  const mlp = tinyMlp();
  const bytes = encodeHybridModel(mlp, { energySign: "seed", seed: 7, config: TrainHybridConfig.parse({}), iteration: 3 });
  const back = decodeHybridModel(bytes, "'m'");
  assertEquals(back.energySign, "seed");
  assertEquals(back.size, { inputs: 2, hidden: [3], classes: 2, activation: "elu" }, "the activation is stored (elu by default)");
  assertEquals(Array.from(back.stateDict["net.2.weight"].data), Array.from(tinySd["net.2.weight"].data));
  let message = "";
  try {
    // Rename the energy_sign metadata key in place (same length, so the header stays valid).
    const broken = bytes.slice();
    const key = new TextEncoder().encode('"energy_sign"');
    const at = broken.findIndex((_, i) => key.every((b, j) => broken[i + j] === b));
    broken[at + key.length - 2] = "_".charCodeAt(0);
    decodeHybridModel(broken, "'m'");
  } catch (e) {
    message = String(e);
  }
  assert(message.includes("'energy_sign' is missing"), message);
  mlp.dispose();
});
