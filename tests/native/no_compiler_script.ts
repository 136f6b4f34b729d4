/**
 * Run by dense_chain_test.ts in a child process whose PATH has no C compiler and whose build
 * cache is empty: a ToyNet chain and weight gradient on native must fall back to the per-op path
 * (with a note on stderr) and give exactly the per-op results. Prints a JSON line.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import { registerNativeBackend } from "../../lib/tensor/native/register.ts";
import { shortRunLangevin } from "../../lib/ebm/langevin.ts";
import { FUSED_DENSE_ENV, fusedMlGrads } from "../../lib/ebm/fused_dense.ts";
import { createNet } from "../../lib/nets/net.ts";
import { Random } from "../../lib/util/random.ts";

const reg = await registerNativeBackend();
if (!reg.ok) throw new Error(reg.reason);
await tf.setBackend("native");
const net = createNet("toy", { n_f: 8 }, 2);
const x0 = tf.tensor2d(new Random(3).normalArray(40), [20, 2]);
const run = () => {
  const r = shortRunLangevin(net, x0, { steps: 5, epsilon: 0.01, rng: new Random(4) });
  const out = { x: Array.from(r.x.dataSync()), rT: r.rT };
  r.x.dispose();
  return out;
};
const fused = run();
const grads = fusedMlGrads(net, x0, tf.mul(x0, 2), 10);
Deno.env.set(FUSED_DENSE_ENV, "0");
const perOp = run();
console.log(JSON.stringify({ same: JSON.stringify(fused) === JSON.stringify(perOp), gradsFellBack: grads === null }));
