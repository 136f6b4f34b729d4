/** Optimiser semantics beyond the PyTorch fixtures: momentum, weight decay, lr decay, errors. */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createNet } from "../../lib/nets/net.ts";
import { createOptimizer } from "../../lib/ebm/optim.ts";
import { assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

await initBackend("cpu");

function oneParamNet() {
  const net = createNet("toy", {}, 0);
  const p = net.params[1]; // f.0.bias [32]
  return { net, p, before: Float32Array.from(p.variable.dataSync()) };
}

Deno.test("SGD with momentum and weight decay follows torch.optim.SGD", () => {
  const { net, p, before } = oneParamNet();
  const opt = createOptimizer("sgd", net.params, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
  const g = tf.fill([32], 2);
  opt.step({ [p.key]: g });
  opt.step({ [p.key]: g });
  // torch: d1 = g + wd·w0; buf1 = d1; w1 = w0 − lr·buf1; d2 = g + wd·w1; buf2 = 0.9·buf1 + d2; w2 = w1 − lr·buf2.
  const expected = before.map((w0) => {
    const d1 = 2 + 0.01 * w0, w1 = w0 - 0.1 * d1, d2 = 2 + 0.01 * w1;
    return w1 - 0.1 * (0.9 * d1 + d2);
  });
  assertClose(p.variable.dataSync(), expected, 1e-6, "weights");
  assertEquals(Object.keys(opt.stateDict()), [`momentum_buffer/${p.key}`], "buffers");
  g.dispose();
  opt.dispose();
  net.dispose();
});

Deno.test("Adam: bias correction and eps outside the square root", () => {
  const { net, p, before } = oneParamNet();
  const opt = createOptimizer("adam", net.params, { lr: 0.5, eps: 0.1 });
  const g = tf.fill([32], 0.02);
  opt.step({ [p.key]: g });
  // Step 1: m̂ = g, v̂ = g² → Δ = lr·g/(|g| + eps) (eps inside the sqrt would give g/√(g² + eps)).
  assertClose(p.variable.dataSync(), before.map((w) => w - 0.5 * 0.02 / (0.02 + 0.1)), 1e-6, "weights");
  g.dispose();
  opt.dispose();
  net.dispose();
});

Deno.test("lr decay: lr ← max(lr_min, lr·lr_decay)", () => {
  const net = createNet("toy", {}, 0);
  const opt = createOptimizer("sgd", net.params, { lr: 1 });
  assertEquals([opt.decayLr(0.5, 0.2), opt.decayLr(0.5, 0.2), opt.decayLr(0.5, 0.2)], [0.5, 0.25, 0.2], "lr sequence");
  net.dispose();
});

Deno.test("bad optimiser settings and unknown keys fail clearly", async () => {
  const net = createNet("toy", {}, 0);
  await assertThrowsAsync(async () => createOptimizer("sgd", net.params, { lr: -1 }), "'lr'", "got -1");
  await assertThrowsAsync(async () => createOptimizer("rmsprop" as "sgd", net.params, { lr: 1 }), "'rmsprop'");
  const opt = createOptimizer("adam", net.params, { lr: 1 });
  await assertThrowsAsync(async () => opt.step({ "f.1.weight": tf.zeros([1]) }), "'f.1.weight'");
  net.dispose();
});

Deno.test("mlLossGrads (one concatenated pass) equals the two-pass loss and gradients", async () => {
  const { paramGrads, mlLossGrads } = await import("../../lib/ebm/grads.ts");
  const { Random } = await import("../../lib/util/random.ts");
  const net = createNet("vanilla", { n_c: 1, n_f: 2 }, 3);
  const pos = tf.tensor(new Random(1).uniformArray(3 * 1024, -1, 1), [3, 32, 32, 1]);
  const neg = tf.tensor(new Random(2).uniformArray(2 * 1024, -1, 1), [2, 32, 32, 1]);
  const a = paramGrads(net, () => tf.mul(tf.sub(tf.mean(net.energy(pos)), tf.mean(net.energy(neg))), 50) as tf.Scalar);
  const b = mlLossGrads(net, pos, neg, 50);
  assertClose(b.loss, a.loss, 1e-5, "loss");
  // Compared as one vector: the last bias's exact gradient is 0 (its two means cancel), so on
  // its own it is pure rounding noise.
  const flat = async (g: Record<string, tf.Tensor>) => (await Promise.all(Object.keys(a.grads).map((k) => g[k].data()))).flatMap((d) => Array.from(d));
  assertClose(await flat(b.grads), await flat(a.grads), 1e-5, "gradients");
  tf.dispose([pos, neg, ...Object.values(a.grads), ...Object.values(b.grads)]);
  net.dispose();
});
