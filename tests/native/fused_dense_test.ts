/**
 * The fused dense + bias + leaky-ReLU layer (`lib/nets/fused_dense.ts`): native (oneDNN) matches
 * the cpu composition within 1e-5 on ToyNet's layer shapes (forward and x/w/b gradients), the
 * composed kernel on cpu is bit-identical to the unfused ops it replaces, a gradient with respect
 * to x alone computes no weight gradient, and ToyNet gives the same energies through either path.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions (matMul, add, prelu, …)
import { assert, assertClose, assertEquals } from "../assert.ts";
import { assertIdentical, ensureNative, normals, useBackend as use } from "./parity.ts";
import { denseBiasLeakyRelu } from "../../lib/nets/fused_dense.ts";
import { leakyRelu } from "../../lib/nets/ops.ts";
import { createNet } from "../../lib/nets/net.ts";
import { energyAndGrad } from "../../lib/ebm/langevin.ts";
import { DENSE_BIAS_LEAKY_RELU, LEAKY_RELU_GRAD_FROM_OUTPUT } from "../../lib/tensor/kernels/kernel_names.ts";
import { nativeProfile } from "../../lib/tensor/native/install.ts";

await ensureNative();

const SLOPE = 0.05;

/** ToyNet's hidden layers at n_f 32 (2→32→64→64→64) and an odd shape. */
const CASES = [
  { name: "toy layer 1 [100, 2] x [2, 32]", n: 100, cin: 2, cout: 32 },
  { name: "toy layer 2 [100, 32] x [32, 64]", n: 100, cin: 32, cout: 64 },
  { name: "toy layers 3-4 [100, 64] x [64, 64]", n: 100, cin: 64, cout: 64 },
  { name: "odd [7, 5] x [5, 3]", n: 7, cin: 5, cout: 3 },
];

/** y and the gradients of Σ r·layer(x, w, b) for x, w and b, through the fused kernel or the unfused ops. */
function run(backend: string, fused: boolean, c: typeof CASES[number], seed: number): Float32Array[] {
  use(backend);
  return tf.tidy(() => {
    const x = tf.tensor2d(normals(c.n * c.cin, seed), [c.n, c.cin]);
    const w = tf.tensor2d(normals(c.cin * c.cout, seed + 1).map((v) => v * 0.3), [c.cin, c.cout]);
    const b = tf.tensor1d(normals(c.cout, seed + 2));
    const r = tf.tensor2d(normals(c.n * c.cout, seed + 3), [c.n, c.cout]);
    const layer = (a: tf.Tensor2D, wt: tf.Tensor2D, bt: tf.Tensor1D) =>
      fused ? denseBiasLeakyRelu(a, wt, bt, SLOPE) : leakyRelu(tf.add(tf.matMul(a, wt), bt) as tf.Tensor2D, SLOPE);
    const f = (a: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(layer(a as tf.Tensor2D, wt as tf.Tensor2D, bt as tf.Tensor1D), r));
    const y = layer(x, w, b);
    const grads = tf.grads(f)([x, w, b]);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

CASES.forEach((c, i) => {
  Deno.test(`native ${DENSE_BIAS_LEAKY_RELU} and its x/w/b gradients match cpu within 1e-5: ${c.name}`, () => {
    nativeProfile.reset();
    nativeProfile.enable();
    const native = run("native", true, c, 300 + 10 * i);
    nativeProfile.disable();
    assert(nativeProfile.snapshot().some((r) => r.kernel === DENSE_BIAS_LEAKY_RELU), "the native kernel did not run");
    const cpu = run("cpu", false, c, 300 + 10 * i);
    ["y", "dx", "dw", "db"].forEach((name, k) => assertClose(native[k], cpu[k], 1e-5, `${c.name} ${name}`));
  });

  Deno.test(`${DENSE_BIAS_LEAKY_RELU} on cpu (composed) is bit-identical to the unfused ops: ${c.name}`, () => {
    const fused = run("cpu", true, c, 400 + 10 * i);
    const plain = run("cpu", false, c, 400 + 10 * i);
    ["y", "dx", "dw", "db"].forEach((name, k) => assertIdentical(fused[k], plain[k], `${c.name} ${name}`));
  });
});

Deno.test("a dense-layer gradient with respect to x alone computes no weight gradient and leaks no tensors", () => {
  use("native");
  const x = tf.tensor2d(normals(100 * 64, 1), [100, 64]), w = tf.tensor2d(normals(64 * 64, 2), [64, 64]), b = tf.tensor1d(normals(64, 3));
  const before = tf.memory().numTensors;
  nativeProfile.reset();
  nativeProfile.enable();
  const dx = tf.grad((a: tf.Tensor) => tf.sum(denseBiasLeakyRelu(a as tf.Tensor2D, w, b, SLOPE)))(x);
  nativeProfile.disable();
  const calls = new Map(nativeProfile.snapshot().map((r) => [r.kernel, r.calls]));
  assertEquals(calls.get("BatchMatMul"), 1, "matmul calls (the input gradient only)");
  assertEquals(calls.get(LEAKY_RELU_GRAD_FROM_OUTPUT), 1, "activation gradient calls");
  assertEquals(calls.get("Sum"), 1, "Sum calls (the loss only; a bias gradient would add one)");
  assertEquals(tf.memory().numTensors, before + 1, "tensors left besides dx");
  tf.dispose([dx, x, w, b]);
});

Deno.test("ToyNet energies and ∇x: native (fused layers) vs cpu within 1e-5, cpu fused path equal to the untaped forward", () => {
  const values = (backend: string) => {
    use(backend);
    const net = createNet("toy", { n_c: 3, n_f: 32 }, 4);
    const x = tf.tensor2d(normals(100 * 2, 5).map((v) => v * 2), [100, 2]);
    const { energy, grad } = energyAndGrad(net, x);
    const untaped = tf.tidy(() => net.energy(x)); // no tape: the unfused fused.matMul + leakyRelu path
    const out = [energy, grad, untaped].map((t) => Float32Array.from(t.dataSync()));
    tf.dispose([x, energy, grad, untaped]);
    net.dispose();
    return out;
  };
  const native = values("native");
  const cpu = values("cpu");
  use("native");
  assertClose(native[0], cpu[0], 1e-5, "energy");
  assertClose(native[1], cpu[1], 1e-5, "grad");
  assertClose(cpu[0], cpu[2], 1e-6, "taped vs untaped energies on cpu");
});

Deno.test("denseBiasLeakyRelu rejects a negative or non-finite slope, naming it", () => {
  use("native");
  const x = tf.zeros([2, 3]) as tf.Tensor2D, w = tf.zeros([3, 4]) as tf.Tensor2D, b = tf.zeros([4]) as tf.Tensor1D;
  for (const slope of [-0.1, NaN]) {
    let message = "";
    try {
      denseBiasLeakyRelu(x, w, b, slope);
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes("'slope'") && message.includes(String(slope)), `message: ${message}`);
  }
  tf.dispose([x, w, b]);
});
