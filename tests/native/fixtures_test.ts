/**
 * The native backend reproduces the PyTorch golden fixtures (tests/fixtures/parity, float64
 * references from make_fixtures.py) within 1e-4 relative: energies, ∇x, ∇θ of the ML loss and
 * one Langevin step, for ToyNet (n_f = 32), VanillaNet and NonlocalNet (n_f = 8).
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createNet, type NetType } from "../../lib/nets/net.ts";
import { paramGrads } from "../../lib/ebm/grads.ts";
import { langevinStep } from "../../lib/ebm/langevin.ts";
import { toTorch } from "../../lib/nets/params.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { assertClose, assertEquals } from "../assert.ts";
import { ensureNative } from "./parity.ts";
import { nativeStats } from "../../lib/tensor/native/install.ts";

const DIR = new URL("../fixtures/parity/", import.meta.url).pathname;
const TOL = 1e-4;

await ensureNative();
await initBackend("native");

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

for (const [type, nf] of [["toy", 32], ["vanilla", 8], ["nonlocal", 8]] as [NetType, number][]) {
  Deno.test(`native: ${type} n_f=${nf} matches PyTorch (energy, ∇x, ∇θ, Langevin step)`, async () => {
    await tf.setBackend("native");
    const { tensors, metadata } = await readSafetensors(`${DIR}${type}_nf${nf}.safetensors`);
    const get = (k: string) => {
      const t = tensors[k];
      if (t === undefined) throw new Error(`Cannot read fixture '${type}_nf${nf}': no tensor '${k}'`);
      return { shape: t.shape, data: t.data as Float32Array };
    };
    const state = Object.fromEntries(
      Object.keys(tensors).filter((k) => k.startsWith("state/")).map((k) => [k.slice("state/".length), get(k)]),
    );
    const net = createNet(type, { n_c: 3, n_f: nf }, 0);
    net.loadStateDict(state);
    const before = nativeStats().fallbacks;
    const x = tf.tensor(get("x").data, get("x").shape), xNeg = tf.tensor(get("x_neg").data, get("x_neg").shape);
    assertClose(await net.energy(x).data(), get("energy").data, TOL, "energy");
    const gx = tf.grad((a: tf.Tensor) => net.energy(a).sum())(x);
    assertClose(await gx.data(), get("grad_x").data, TOL, "grad_x");
    const scale = Number(metadata.loss_scale);
    const { loss, grads } = paramGrads(net, () => tf.mul(tf.sub(net.energy(x).mean(), net.energy(xNeg).mean()), scale) as tf.Scalar);
    assertClose(loss, get("loss").data[0], TOL, "loss");
    // Parameters whose exact gradient is ~0 (the non-local φ bias) are compared on the scale of
    // the largest gradient, as in tests/nets/parity_test.ts.
    const gradScale = Math.max(...net.params.map((p) => maxAbs(get(`grad/${p.key}`).data)));
    for (const p of net.params) {
      const ours = toTorch(p.spec, await grads[p.key].data() as Float32Array);
      const theirs = get(`grad/${p.key}`).data;
      let diff = 0, ref = 1e-3 * gradScale;
      theirs.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(ours[i] - v));
        ref = Math.max(ref, Math.abs(v));
      });
      if (!(diff / ref <= TOL)) throw new Error(`grad ${p.key}: relative error ${(diff / ref).toExponential(2)} > ${TOL}`);
    }
    const noise = tf.tensor(get("noise").data, get("noise").shape);
    const step = langevinStep(net, xNeg, noise, Number(metadata.epsilon));
    assertClose(await step.x.data(), get("langevin_x").data, TOL, "langevin x");
    assertClose(step.gradNorm, get("langevin_grad_norm").data[0], TOL, "langevin grad norm");
    // The heavy kernels must have run on oneDNN, not through the cpu fallbacks.
    const after = nativeStats().fallbacks;
    for (const k of ["Conv2D", "FusedConv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "BatchMatMul", "_FusedMatMul", "MaxPool", "MaxPoolGrad"]) {
      assertEquals(after[k] ?? 0, before[k] ?? 0, `${k} fell back to the cpu kernel`);
    }
    tf.dispose([x, xNeg, gx, noise, step.x, ...Object.values(grads)]);
    net.dispose();
  });
}
