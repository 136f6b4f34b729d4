/**
 * Where the time of `deno task bench`'s weight step goes on the native backend: the exact step
 * the bench times (the ML loss of a data batch and a sample batch, ∇θ, one Adam step), with the
 * per-kernel wall time inside it (medians over `--reps` steps after two warm-up steps).
 *
 * Usage:
 *   deno run -A bench/native_weight_profile.ts [--net vanilla] [--reps 7] [--batch 100]
 *
 * @example
 * ```sh
 * deno run -A bench/native_weight_profile.ts --net vanilla --reps 7
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/tensor/backend.ts";
import { createNet, type NetType } from "../lib/nets/net.ts";
import { paramGrads } from "../lib/ebm/grads.ts";
import { createOptimizer } from "../lib/ebm/optim.ts";
import { Random } from "../lib/util/random.ts";
import { benchFlags, flag, median, positiveIntFlag } from "./cli_args.ts";
import { profiledSteps } from "./profiled_steps.ts";

benchFlags("Usage: deno run -A bench/native_weight_profile.ts [--net vanilla] [--reps 7] [--batch 100]", ["net", "reps", "batch"]);

const type = flag("net", "vanilla") as NetType, reps = positiveIntFlag("reps", 7), batch = positiveIntFlag("batch", 100);
await initBackend("native");
const net = createNet(type, { n_c: 3, n_f: 32 }, 0);
const rng = new Random(1);
const shape = [batch, ...net.inputShape], size = shape.reduce((a, b) => a * b, 1);
const x = tf.tensor(rng.uniformArray(size, -1, 1), shape), xNeg = tf.tensor(rng.uniformArray(size, -1, 1), shape);
const opt = createOptimizer("adam", net.params, { lr: 1e-4 });
const eps = 0.015;
const totals: number[] = [];
const kernels = profiledSteps(reps, (measured) => {
  const t0 = performance.now();
  const { grads } = paramGrads(net, () => tf.mul(tf.sub(tf.mean(net.energy(x)), tf.mean(net.energy(xNeg))), 2 / eps ** 2) as tf.Scalar);
  opt.step(grads);
  tf.dispose(Object.values(grads));
  if (measured) totals.push(performance.now() - t0);
});
console.log(`${type} weight step on native, batch ${batch}: median ${median(totals).toFixed(1)} ms over ${reps} steps`);
for (const [kernel, { calls, ms }] of [...kernels].sort((a, b) => median(b[1].ms) - median(a[1].ms))) {
  console.log(`  ${`${kernel} ×${calls}`.padEnd(36)} ${median(ms).toFixed(1).padStart(7)} ms`);
}
tf.dispose([x, xNeg]);
net.dispose();
Deno.exit(0);
