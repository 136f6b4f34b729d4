/**
 * Where the time of `deno task bench`'s Langevin step goes on the native backend: the exact
 * step the bench times (`gaussianNoise` + `langevinStep` + dispose), split into host noise
 * generation, tensor creation, the step itself and disposal, plus the per-kernel wall time inside
 * the step (medians over `--reps` steps after two warm-up steps). Time in the step that no kernel
 * accounts for is tfjs dispatch, tape and JavaScript around the kernels.
 *
 * Usage:
 *   deno run -A bench/native_langevin_profile.ts [--nets toy,vanilla] [--reps 9] [--batch 100]
 *
 * @example
 * ```sh
 * EBM_NATIVE_THREADS=2 deno run -A bench/native_langevin_profile.ts --nets vanilla --reps 9
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { initBackend } from "../lib/tensor/backend.ts";
import { createNet, type NetType } from "../lib/nets/net.ts";
import { langevinStep } from "../lib/ebm/langevin.ts";
import { Random } from "../lib/util/random.ts";
import { nativeStats } from "../lib/tensor/native/install.ts";
import { benchFlags, flag, median, positiveIntFlag } from "./cli_args.ts";
import { profiledSteps } from "./profiled_steps.ts";

benchFlags("Usage: deno run -A bench/native_langevin_profile.ts [--nets toy,vanilla] [--reps 9] [--batch 100]", ["nets", "reps", "batch"]);

const nets = flag("nets", "toy,vanilla").split(",") as NetType[];
const reps = positiveIntFlag("reps", 9);
const batch = positiveIntFlag("batch", 100);
for (const n of nets) if (!["toy", "vanilla", "nonlocal"].includes(n)) throw new Error(`Cannot read --nets: unknown net '${n}'`);

await initBackend("native");
console.log(`native Langevin step profile: batch ${batch}, median of ${reps} after 2 warm-up steps`);
for (const type of nets) {
  const net = createNet(type, { n_c: 3, n_f: 32 }, 0);
  const rng = new Random(1);
  const shape = [batch, ...net.inputShape];
  const size = shape.reduce((a, b) => a * b, 1);
  const xNeg = tf.tensor(rng.uniformArray(size, -1, 1), shape);
  const phases: Record<string, number[]> = { noise: [], tensor: [], step: [], dispose: [], total: [], cpu: [] };
  const kernels = profiledSteps(reps, (measured) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const values = rng.normalArray(size);
    const t1 = performance.now();
    const noise = tf.tensor(values, shape);
    const t2 = performance.now();
    const step = langevinStep(net, xNeg, noise, 0.015);
    const t3 = performance.now();
    tf.dispose([noise, step.x]);
    const t4 = performance.now();
    const c1 = process.cpuUsage(c0);
    if (!measured) return;
    phases.noise.push(t1 - t0);
    phases.tensor.push(t2 - t1);
    phases.step.push(t3 - t2);
    phases.dispose.push(t4 - t3);
    phases.total.push(t4 - t0);
    phases.cpu.push((c1.user + c1.system) / 1000);
  });
  const rows = [...kernels].map(([kernel, e]) => ({ kernel, calls: e.calls, ms: median(e.ms), sum: e.ms.reduce((a, b) => a + b, 0) / reps }))
    .sort((a, b) => b.ms - a.ms);
  const inKernels = rows.reduce((a, r) => a + r.sum, 0);
  const calls = rows.reduce((a, r) => a + r.calls, 0);
  const m = (k: string) => median(phases[k]).toFixed(2).padStart(7);
  console.log(`\n${type}: total ${m("total")} ms = noise ${m("noise")} + tensor ${m("tensor")} + step ${m("step")} + dispose ${m("dispose")}; process CPU time ${m("cpu")} ms`);
  console.log(`  step: ${inKernels.toFixed(2)} ms (mean) in ${calls} kernel calls, the rest is dispatch/tape/JS`);
  for (const r of rows) console.log(`  ${r.kernel.padEnd(30)} ${String(r.calls).padStart(4)} calls ${r.ms.toFixed(3).padStart(9)} ms`);
  const pool = nativeStats().pool;
  console.log(`  output buffers so far: ${pool.hits} reused, ${pool.misses} allocated, ${pool.escaped} escaped, ${(pool.freeBytes / 2 ** 20).toFixed(1)} MiB free in the pool`);
  xNeg.dispose();
  net.dispose();
}
Deno.exit(0);
