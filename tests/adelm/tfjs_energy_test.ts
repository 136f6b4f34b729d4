import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { energyFromTfjs } from "../../lib/adelm/tfjs_energy.ts";
import { GaussianWells } from "../../lib/adelm/gaussian_wells.ts";
import { Random } from "../../lib/util/random.ts";
import { assertClose, assertThrowsAsync } from "../assert.ts";
import { embedWells, WELLS_2D } from "./helpers.ts";

Deno.test("adelm: the tfjs adapter gives the energies and gradients of the same wells in JS", async () => {
  await initBackend("cpu"); // registers all gradients and the cpu backend
  const wells = embedWells(WELLS_2D, 12, 9), js = new GaussianWells(wells);
  const centers = tf.tensor2d(wells.map((w) => w.center)); // [K, d]
  const logW = tf.tensor1d(wells.map((w) => Math.log(w.weight ?? 1)));
  // states are shaped [n, 3, 4] to exercise the reshape to the model's state shape
  const energy = energyFromTfjs((x) => {
    const flat = tf.reshape(x, [-1, 12]);
    const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(flat, 1), tf.expandDims(centers, 0))), 2); // [n, K]
    return tf.neg(tf.logSumExp(tf.sub(logW, tf.mul(0.5, d2)), 1)) as tf.Tensor1D;
  }, [3, 4]);
  const x = new Random(2).normalArray(5 * 12, 1, 2);
  const before = tf.memory().numTensors;
  const got = await energy.energyAndGrad(x, 5);
  const want = await js.energyAndGrad(x, 5);
  assertClose(got.energy, want.energy, 1e-5, "energies");
  assertClose(got.grad, want.grad, 1e-4, "gradients");
  if (tf.memory().numTensors !== before) throw new Error(`adapter leaked ${tf.memory().numTensors - before} tensors`);
  await assertThrowsAsync(() => energy.energyAndGrad(x.subarray(0, 13), 1), "expected 1×12 = 12 values, got 13");
  centers.dispose();
  logW.dispose();
});
