/**
 * The fused Langevin update (`EbmLangevinUpdate`): on native it is bit-identical to the composed
 * ops it replaces (run on native and on cpu), including NaN/±Inf/±0 inputs; a whole
 * `langevinStep` leaks nothing and agrees across backends; bad inputs fail with a clear message.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions
import { assert, assertClose, assertEquals } from "../assert.ts";
import { assertIdentical, ensureNative, normals, useBackend as use } from "./parity.ts";
import { langevinUpdate } from "../../lib/ebm/langevin_update.ts";
import { langevinStep } from "../../lib/ebm/langevin.ts";
import { createNet } from "../../lib/nets/net.ts";
import { nativeProfile } from "../../lib/tensor/native/install.ts";
import { LANGEVIN_UPDATE } from "../../lib/tensor/kernels/kernel_names.ts";

await ensureNative();

type Case = { name: string; shape: number[]; epsilon: number; special?: boolean };
const CASES: Case[] = [
  { name: "VanillaNet batch [8, 32, 32, 3]", shape: [8, 32, 32, 3], epsilon: 0.015 },
  { name: "ToyNet batch [100, 2]", shape: [100, 2], epsilon: 0.0075 },
  { name: "ε = 0 (no noise)", shape: [4, 5], epsilon: 0 },
  { name: "NaN, ±Inf, ±0 in x, grad, noise and energy", shape: [6, 8], epsilon: 0.1, special: true },
];

function inputs(c: Case, seed: number) {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const x = normals(n, seed), g = normals(n, seed + 1), z = normals(n, seed + 2), e = normals(c.shape[0], seed + 3);
  for (let i = 0; i < n; i++) g[i] *= 3e-3 * (1 + (i % 7)); // gradients of the size a trained net gives
  if (c.special) {
    const specials = [NaN, Infinity, -Infinity, 0, -0];
    specials.forEach((v, k) => {
      x[3 * k] = v;
      g[3 * k + 1] = v;
      z[3 * k + 2] = v;
    });
    e[1] = -0;
    e[2] = Infinity;
  }
  return { x, g, z, e };
}

/** The composed ops, called directly (what langevinStep ran before the kernel existed). */
function composed(c: Case, v: ReturnType<typeof inputs>): { next: Float32Array; stats: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor(v.x, c.shape), g = tf.tensor(v.g, c.shape), z = tf.tensor(v.z, c.shape), e = tf.tensor1d(v.e);
    const norms = tf.sqrt(tf.sum(tf.square(tf.reshape(g, [c.shape[0], -1])), 1));
    const stats = tf.stack([tf.mean(e), tf.mean(norms)]).dataSync() as Float32Array;
    const next = tf.add(tf.sub(x, g), tf.mul(z, c.epsilon)).dataSync() as Float32Array;
    return { next: Float32Array.from(next), stats: Float32Array.from(stats) };
  });
}

function fused(c: Case, v: ReturnType<typeof inputs>): { next: Float32Array; stats: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor(v.x, c.shape), g = tf.tensor(v.g, c.shape), z = tf.tensor(v.z, c.shape), e = tf.tensor1d(v.e);
    const out = langevinUpdate(x, g, z, e, c.epsilon);
    return { next: Float32Array.from(out.next.dataSync()), stats: Float32Array.from(out.stats.dataSync()) };
  });
}

CASES.forEach((c, k) => {
  Deno.test(`native ${LANGEVIN_UPDATE} is bit-identical to the composed ops on native and cpu: ${c.name}`, () => {
    const v = inputs(c, 100 + 10 * k);
    use("native");
    nativeProfile.reset();
    nativeProfile.enable();
    const native = fused(c, v);
    nativeProfile.disable();
    assert(nativeProfile.snapshot().some((r) => r.kernel === LANGEVIN_UPDATE), "the native kernel did not run");
    const nativeComposed = composed(c, v);
    use("cpu");
    const cpuFused = fused(c, v); // the composed kernel registered for cpu
    const cpuComposed = composed(c, v);
    use("native");
    assertIdentical(native.next, nativeComposed.next, "next vs native composed");
    assertIdentical(native.stats, nativeComposed.stats, "stats vs native composed");
    assertIdentical(native.next, cpuComposed.next, "next vs cpu composed");
    assertIdentical(cpuFused.next, cpuComposed.next, "cpu kernel next vs cpu composed");
    assertIdentical(cpuFused.stats, cpuComposed.stats, "cpu kernel stats vs cpu composed");
    if (!c.special) assertClose(native.stats, cpuComposed.stats, 1e-6, "stats vs cpu");
  });
});

Deno.test("langevinStep on native: no leaked tensors, same chain as cpu within 1e-5", () => {
  const run = (backend: string) => {
    use(backend);
    const net = createNet("vanilla", { n_c: 3, n_f: 8 }, 3);
    const shape = [4, 32, 32, 3];
    const x = tf.tensor(normals(4 * 32 * 32 * 3, 9), shape);
    const noise = tf.tensor(normals(4 * 32 * 32 * 3, 10), shape);
    const before = tf.memory().numTensors;
    const step = langevinStep(net, x, noise, 0.015);
    const values = Float32Array.from(step.x.dataSync());
    step.x.dispose();
    const leaked = tf.memory().numTensors - before;
    tf.dispose([x, noise]);
    net.dispose();
    return { values, leaked, gradNorm: step.gradNorm, energy: step.energy };
  };
  const native = run("native");
  const cpu = run("cpu");
  use("native");
  assertEquals(native.leaked, 0, "tensors left behind on native");
  assertEquals(cpu.leaked, 0, "tensors left behind on cpu");
  assertClose(native.values, cpu.values, 1e-5, "next states");
  assertClose(native.gradNorm, cpu.gradNorm, 1e-5, "gradNorm");
  assertClose(native.energy, cpu.energy, 1e-5, "energy");
});

Deno.test("langevinUpdate rejects mismatched shapes and a non-finite epsilon, naming them", () => {
  use("native");
  const x = tf.zeros([2, 3]), g = tf.zeros([2, 3]), e = tf.zeros([2]) as tf.Tensor1D;
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as Error).message;
    }
    return "";
  };
  const shapeMessage = message(() => langevinUpdate(x, g, tf.zeros([3, 2]), e, 0.1));
  assert(shapeMessage.includes("noise [3,2]") && shapeMessage.includes("[2,3]"), `message: ${shapeMessage}`);
  const epsMessage = message(() => langevinUpdate(x, g, g, e, NaN));
  assert(epsMessage.includes("'epsilon'") && epsMessage.includes("NaN"), `message: ${epsMessage}`);
  tf.dispose([x, g, e]);
});

Deno.test("langevinUpdate with a non-float32 input runs the composed ops (tfjs's casting) on native", () => {
  use("native");
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], "int32");
  const g = tf.tensor2d([[0.5, 0, 0], [0, 0, 2]]), z = tf.ones([2, 3]), e = tf.tensor1d([1, 3]);
  const out = langevinUpdate(x, g, z, e, 0.5);
  assertIdentical(out.next.dataSync(), [1, 2.5, 3.5, 4.5, 5.5, 4.5], "next");
  assertIdentical(out.stats.dataSync(), [2, 1.25], "stats");
  tf.dispose([x, g, z, e, out.next, out.stats]);
});
