/** Langevin / ULA / MALA: no tensor leaks, seeded reproducibility, r_t bookkeeping, MALA acceptance. */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createNet } from "../../lib/nets/net.ts";
import { energyAndGrad, evalTemperature, longRunLangevin, mala, perImageNorm, shortRunLangevin, ula } from "../../lib/ebm/langevin.ts";
import { initStates, PersistentBank } from "../../lib/ebm/init.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

await initBackend("wasm");

Deno.test("live tensor count is constant across 1,000 Langevin steps (toy; 200 for the image nets)", () => {
  for (const [type, shape, steps] of [["toy", [64, 2], 1000], ["vanilla", [1, 32, 32, 3], 200], ["nonlocal", [1, 32, 32, 3], 200]] as const) {
    const net = createNet(type, { n_c: 3, n_f: 2 }, 1);
    const x0 = initStates("uniform", [...shape], new Random(2));
    // One warm-up step creates the net's kept constants (the LeakyReLU slope) once.
    shortRunLangevin(net, x0, { steps: 1, epsilon: 0.01, rng: new Random(3) }).x.dispose();
    const before = tf.memory().numTensors;
    const during: number[] = [];
    const run = shortRunLangevin(net, x0, { steps, epsilon: 0.01, rng: new Random(3), recordEvery: 50, onRecord: () => during.push(tf.memory().numTensors) });
    assertEquals(during.length, steps / 50, "records");
    assert(during.every((n) => n === during[0]), `${type}: live tensors drift during the run: ${during.join(",")}`);
    run.x.dispose();
    assertEquals(tf.memory().numTensors, before, `${type}: live tensors after ${steps} steps`);
    x0.dispose();
    net.dispose();
  }
});

Deno.test("ULA and MALA leave no tensors behind", () => {
  const net = createNet("toy", {}, 1);
  const x0 = initStates("gaussian", [32, 2], new Random(2));
  const before = tf.memory().numTensors;
  ula(net, x0, { steps: 200, epsilon: 0.05, temperature: 0.5, rng: new Random(3) }).x.dispose();
  mala(net, x0, { steps: 200, epsilon: 0.05, temperature: 0.5, rng: new Random(3) }).x.dispose();
  assertEquals(tf.memory().numTensors, before, "live tensors");
  x0.dispose();
  net.dispose();
});

Deno.test("same seed and backend give identical chains; another seed differs", async () => {
  const net = createNet("vanilla", { n_c: 3, n_f: 4 }, 5);
  const run = async (seed: number) => {
    const rng = new Random(seed);
    const x0 = initStates("uniform", [3, 32, 32, 3], rng);
    const r = shortRunLangevin(net, x0, { steps: 5, epsilon: 0.1, rng });
    const values = await r.x.data();
    tf.dispose([x0, r.x]);
    return { values, rT: r.rT };
  };
  const a = await run(11), b = await run(11), c = await run(12);
  assertEquals(Array.from(a.values), Array.from(b.values), "same seed");
  assertEquals(a.rT, b.rT, "same seed r_t");
  assert(a.values.some((v, i) => v !== c.values[i]), "different seeds gave identical chains");
  net.dispose();
});

Deno.test("r_t is the mean over steps of the batch-mean per-image gradient norm", async () => {
  const net = createNet("toy", {}, 4);
  const x0 = initStates("uniform", [16, 2], new Random(1), { scale: 2 });
  const r = shortRunLangevin(net, x0, { steps: 20, epsilon: 0.125, rng: new Random(2) });
  assertEquals(r.records.length, 20, "records");
  assertClose(r.rT, r.records.reduce((s, q) => s + q.gradNorm, 0) / 20, 1e-12, "r_t");
  // Recompute step 1's norm by hand.
  const g = tf.grad((a: tf.Tensor) => tf.sum(net.energy(a)))(x0);
  const norms = tf.sqrt(tf.sum(tf.square(g), 1));
  assertClose(r.records[0].gradNorm, (await tf.mean(norms).data())[0], 1e-5, "first step norm");
  tf.dispose([x0, r.x, g, norms]);
  net.dispose();
});

Deno.test("long-run records every 100 steps by default; ULA with ε = 0 only descends", async () => {
  const net = createNet("toy", {}, 4);
  const x0 = initStates("uniform", [8, 2], new Random(1));
  const lr = longRunLangevin(net, x0, { steps: 250, epsilon: 0.01, rng: new Random(2) });
  assertEquals(lr.records.map((r) => r.step), [100, 200, 250], "record steps");
  const u = ula(net, x0, { steps: 50, epsilon: 0, temperature: 1, rng: new Random(2) });
  assertEquals(u.x.shape, x0.shape, "shape");
  tf.dispose([x0, lr.x, u.x]);
  net.dispose();
});

Deno.test("MALA: acceptance near 1 for tiny steps, low for huge steps, rates in [0, 1]", () => {
  const net = createNet("toy", {}, 4);
  const x0 = initStates("gaussian", [64, 2], new Random(1));
  const T = evalTemperature(1, 0.125);
  assertClose(T, 0.125 ** 2 / 2, 1e-12, "temperature");
  const small = mala(net, x0, { steps: 20, epsilon: 1e-4, temperature: T, rng: new Random(2) });
  const big = mala(net, x0, { steps: 20, epsilon: 3, temperature: T, rng: new Random(2) });
  for (const r of [...small.records, ...big.records]) assert(r.acceptRate! >= 0 && r.acceptRate! <= 1, `rate ${r.acceptRate}`);
  assert(small.acceptRate > 0.95, `tiny steps accepted only ${small.acceptRate}`);
  assert(big.acceptRate < 0.5, `huge steps accepted ${big.acceptRate}`);
  tf.dispose([x0, small.x, big.x]);
  net.dispose();
});

Deno.test("samplers reject bad options with the field named", async () => {
  const net = createNet("toy", {}, 4);
  const x0 = initStates("uniform", [2, 2], new Random(1));
  await assertThrowsAsync(async () => shortRunLangevin(net, x0, { steps: -1, epsilon: 0.1, rng: new Random(1) }), "'steps'");
  await assertThrowsAsync(async () => ula(net, x0, { steps: 1, epsilon: 0.1, temperature: 0, rng: new Random(1) }), "'temperature'");
  x0.dispose();
  net.dispose();
});

Deno.test("persistent bank: draws rows, writes final states back", () => {
  const rng = new Random(9);
  const bank = PersistentBank.uniform(10, [2], rng);
  assert(bank.states.every((v) => v >= -1 && v < 1), "U(-1,1)");
  const { states, indices } = bank.draw(4, rng);
  for (let i = 0; i < 4; i++) assertEquals(Array.from(states.subarray(2 * i, 2 * i + 2)), Array.from(bank.states.subarray(2 * indices[i], 2 * indices[i] + 2)), "drawn row");
  const last = new Map<number, number>();
  indices.forEach((r, i) => last.set(r, i));
  bank.write(indices, states.map((_, j) => 100 + j));
  for (const [r, i] of last) assertEquals(bank.states[2 * r], 100 + 2 * i, "written row");
});

Deno.test("on a Gaussian target MALA is exact while ULA shows its known step-size bias", async () => {
  // f(x) = ½‖x‖² at T = 1 is N(0, I). With ε = 1 ULA's stationary variance is 1/(1 − ε²/4) = 4/3.
  const gaussian = { energy: (x: tf.Tensor) => tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D) };
  const x0 = initStates("gaussian", [2000, 2], new Random(1), { scale: 3 });
  const variance = async (x: tf.Tensor) => (await tf.mean(tf.square(x)).data())[0];
  const m = mala(gaussian, x0, { steps: 150, epsilon: 1, temperature: 1, rng: new Random(2), recordEvery: 50 });
  const u = ula(gaussian, x0, { steps: 150, epsilon: 1, temperature: 1, rng: new Random(3), recordEvery: 50 });
  const vm = await variance(m.x), vu = await variance(u.x);
  assert(Math.abs(vm - 1) < 0.07, `MALA variance ${vm}, expected 1`);
  assert(Math.abs(vu - 4 / 3) < 0.09, `ULA variance ${vu}, expected 4/3`);
  assert(m.acceptRate > 0.5 && m.acceptRate < 0.95, `MALA acceptance ${m.acceptRate}`);
  tf.dispose([x0, m.x, u.x]);
});

Deno.test("eval as eval.py: ULA/MALA record f/T and the gradient term per chain at the state each step starts from; ε = 0 is gradient descent", async () => {
  const net = createNet("toy", {}, 4);
  const x0 = initStates("uniform", [6, 2], new Random(1));
  const T = 0.05;
  const { energy, grad } = energyAndGrad(net, x0);
  const f0 = await energy.data(), g0 = grad;
  const norms = await perImageNorm(g0).data();
  for (const sampler of [ula, mala]) {
    const eps = 0.1;
    const run = sampler(net, x0, { steps: 3, epsilon: eps, temperature: T, rng: new Random(2) });
    const first = run.records[0];
    assertEquals(first.chainEnergy!.length, 6);
    for (let i = 0; i < 6; i++) {
      assertClose(first.chainEnergy![i], f0[i] / T, 1e-5, `${sampler.name}: chain ${i} energy f/T at the starting state`);
      assertClose(first.chainGradNorm![i], (eps * eps / 2) * norms[i] / T, 1e-5, `${sampler.name}: chain ${i} gradient term`);
    }
    assertClose(first.energy, Array.from(first.chainEnergy!).reduce((a, b) => a + b, 0) / 6, 1e-6, "mean of the chains");
    run.x.dispose();
  }
  // ε = 0: x ← x − ∇(f/T), exactly one descent step per step, no noise.
  const gd = ula(net, x0, { steps: 1, epsilon: 0, temperature: T, rng: new Random(2) });
  const expected = tf.sub(x0, tf.div(g0, T));
  assertClose(await gd.x.data() as Float32Array, await expected.data() as Float32Array, 1e-6, "gradient descent step");
  assertClose(gd.records[0].chainGradNorm![0], norms[0] / T, 1e-5, "ε = 0 records ‖∇(f/T)‖");
  await assertThrowsAsync(async () => mala(net, x0, { steps: 1, epsilon: 0, temperature: T, rng: new Random(1) }), "'epsilon' must be positive");
  tf.dispose([x0, energy, grad, gd.x, expected]);
  net.dispose();
});
