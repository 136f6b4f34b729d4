/**
 * The fused weight step of small nets: `EbmAdamUpdate` (native: one pass) is bit-identical to the
 * composed ops it replaces, on native and on cpu; `EbmDenseMlGrads` (native: the project's C
 * code) matches tfjs's variableGrads of the same loss within 1e-5 relative per gradient; a
 * ToyNet Adam step through `NetAndOptimizer` takes the fused path (one kernel call) and lands on
 * the per-op path's weights within 1e-5; bad inputs fail naming the kernel.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions
import { assert, assertClose, assertEquals } from "../assert.ts";
import { assertIdentical, ensureNative, normals, useBackend as use } from "./parity.ts";
import { adamUpdate } from "../../lib/ebm/adam_update.ts";
import { composedAdamOps } from "../../lib/tensor/kernels/composed_kernels.ts";
import { FUSED_DENSE_ENV, fusedMlGrads } from "../../lib/ebm/fused_dense.ts";
import { paramGrads } from "../../lib/ebm/grads.ts";
import { createNet } from "../../lib/nets/net.ts";
import { NetAndOptimizer } from "../../lib/train/model.ts";
import { nativeProfile } from "../../lib/tensor/native/install.ts";
import { ADAM_UPDATE, DENSE_ML_GRADS } from "../../lib/tensor/kernels/kernel_names.ts";
import { withEnv } from "../env.ts";

await ensureNative();

const ADAM_CASES = [
  { name: "step 1, PyTorch defaults", shape: [64, 64], attrs: { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 } },
  { name: "step 37, other betas and eps", shape: [5, 7, 3], attrs: { lr: 3e-2, beta1: 0.5, beta2: 0.99, eps: 1e-3, step: 37 } },
  { name: "step 100000", shape: [33], attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 100000 } },
];

for (const c of ADAM_CASES) {
  Deno.test(`native ${ADAM_UPDATE} is bit-identical to the composed ops on native and on cpu: ${c.name}`, () => {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const w = normals(n, 1), g = normals(n, 2).map((v) => v * 1e-2), m = normals(n, 3).map((v) => v * 1e-3);
    const v = normals(n, 4).map((x) => x * x * 1e-5);
    g[0] = 0;
    m[1] = 0;
    v[2] = 0;
    const run = (backend: string, fused: boolean) => {
      use(backend);
      return tf.tidy(() => {
        const t = [w, g, m, v].map((a) => tf.tensor(a, c.shape));
        const out = fused ? Object.values(adamUpdate(t[0], t[1], t[2], t[3], c.attrs)) : composedAdamOps(t[0], t[1], t[2], t[3], c.attrs);
        return out.map((o) => Float32Array.from(o.dataSync()));
      });
    };
    nativeProfile.reset();
    nativeProfile.enable();
    const nativeFused = run("native", true);
    const calls = nativeProfile.snapshot().find((t) => t.kernel === ADAM_UPDATE)?.calls ?? 0;
    nativeProfile.disable();
    assertEquals(calls, 1, "the native kernel ran");
    const nativeComposed = run("native", false), cpuComposed = run("cpu", false), cpuFused = run("cpu", true);
    ["w", "m", "v"].forEach((name, i) => {
      assertIdentical(nativeFused[i], nativeComposed[i], `${name}: native kernel vs composed ops on native`);
      assertIdentical(nativeFused[i], cpuComposed[i], `${name}: native kernel vs composed ops on cpu`);
      assertIdentical(cpuFused[i], cpuComposed[i], `${name}: cpu (composed kernel) vs composed ops`);
    });
    use("native");
  });
}

Deno.test(`${ADAM_UPDATE} rejects mismatched shapes and a step below 1`, () => {
  use("native");
  const a = tf.zeros([3]), b = tf.zeros([4]);
  let message = "";
  try {
    adamUpdate(a, b, a, a, { lr: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("expected g, m and v of w's shape [3]"), `got: ${message}`);
  message = "";
  try {
    adamUpdate(a, a, a, a, { lr: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 0 });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("'step' must be a positive integer"), `got: ${message}`);
  tf.dispose([a, b]);
});

/** The reference: tfjs's variableGrads of the same loss on the per-op layers. */
function referenceGrads(net: ReturnType<typeof createNet>, pos: tf.Tensor, neg: tf.Tensor, scale: number) {
  return paramGrads(net, () => tf.mul(tf.sub(tf.mean(net.energy(pos)), tf.mean(net.energy(neg))), scale) as tf.Scalar);
}

for (const c of [{ n_f: 32, np: 100, nn: 100 }, { n_f: 5, np: 7, nn: 13 }]) {
  Deno.test(`native ${DENSE_ML_GRADS} equals variableGrads of the ML loss within 1e-5 relative: ToyNet n_f ${c.n_f}, ${c.np} + ${c.nn} rows`, () => {
    use("native");
    const net = createNet("toy", { n_f: c.n_f }, 7);
    const pos = tf.tensor2d(normals(2 * c.np, 1), [c.np, 2]);
    const neg = tf.tensor2d(normals(2 * c.nn, 2).map((v) => 2 * v + 0.5), [c.nn, 2]);
    const scale = 2 / 0.01 ** 2;
    const fused = fusedMlGrads(net, pos, neg, scale);
    assert(fused !== null, "ToyNet on native must take the fused path");
    const ref = withEnv(FUSED_DENSE_ENV, "0", () => referenceGrads(net, pos, neg, scale));
    // The loss and gradients are differences of two batch terms; rounding is relative to the
    // terms, so the scale of each comparison is the positive term's (a gradient that cancels to
    // ~0, like the last bias's, has only rounding noise left).
    const term = withEnv(FUSED_DENSE_ENV, "0", () => paramGrads(net, () => tf.mul(tf.mean(net.energy(pos)), scale) as tf.Scalar));
    const within = (a: ArrayLike<number>, b: ArrayLike<number>, scaleOf: ArrayLike<number>, label: string) => {
      let diff = 0, mag = 0;
      for (let i = 0; i < b.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
      for (let i = 0; i < b.length; i++) mag = Math.max(mag, Math.abs(b[i]), Math.abs(scaleOf[i]));
      assert(diff <= 1e-5 * mag, `${label}: max difference ${diff} > 1e-5 × ${mag}`);
    };
    within([fused.loss], [ref.loss], [term.loss], "loss");
    assertEquals(Object.keys(fused.grads).sort(), Object.keys(ref.grads).sort());
    for (const key of Object.keys(ref.grads)) {
      assertEquals(fused.grads[key].shape, ref.grads[key].shape, `${key} shape`);
      within(fused.grads[key].dataSync(), ref.grads[key].dataSync(), term.grads[key].dataSync(), key);
    }
    if (c.np === c.nn) assert(fused.grads["f.8.bias"].dataSync()[0] === 0, "equal batches: the last bias's gradient is exactly 0");
    tf.dispose([pos, neg, ...Object.values(fused.grads), ...Object.values(ref.grads), ...Object.values(term.grads)]);
    net.dispose();
  });
}

Deno.test("a ToyNet Adam step takes the fused path and lands on the per-op path's weights within 1e-5 (5 steps)", () => {
  use("native");
  const a = new NetAndOptimizer(createNet("toy", { n_f: 32 }, 3), "adam");
  const b = new NetAndOptimizer(createNet("toy", { n_f: 32 }, 3), "adam");
  const before = tf.memory().numTensors;
  for (let s = 0; s < 5; s++) {
    const pos = tf.tensor2d(normals(200, 10 + s), [100, 2]), neg = tf.tensor2d(normals(200, 20 + s).map((v) => 1.5 * v), [100, 2]);
    nativeProfile.reset();
    nativeProfile.enable();
    const da = a.step(pos, neg, 0.01, 1e-3);
    const calls = nativeProfile.snapshot().find((t) => t.kernel === DENSE_ML_GRADS)?.calls ?? 0;
    nativeProfile.disable();
    assertEquals(calls, 1, `step ${s}: one fused gradient kernel call`);
    const db = withEnv(FUSED_DENSE_ENV, "0", () => b.step(pos, neg, 0.01, 1e-3));
    assertClose(da, db, 1e-5, `step ${s} d_t`);
    tf.dispose([pos, neg]);
  }
  // Adam buffers are created on the first step: 2 per parameter in each model.
  assertEquals(tf.memory().numTensors, before + 2 * 2 * a.net.params.length, "tensors leaked");
  const sa = a.net.stateDict(), sb = b.net.stateDict();
  for (const key of Object.keys(sa)) assertClose(sa[key].data, sb[key].data, 1e-5, key);
  a.net.dispose();
  b.net.dispose();
  a.optimizer.dispose();
  b.optimizer.dispose();
});

Deno.test(`${DENSE_ML_GRADS} rejects batches of different widths, naming the kernel`, () => {
  use("native");
  const net = createNet("toy", { n_f: 4 }, 1);
  const pos = tf.zeros([3, 2]), neg = tf.zeros([3, 3]);
  let message = "";
  try {
    fusedMlGrads(net, pos, neg, 1);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes(DENSE_ML_GRADS) && message.includes("neg [M, D]"), `got: ${message}`);
  tf.dispose([pos, neg]);
  net.dispose();
});
