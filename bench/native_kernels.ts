/**
 * Times the paper's networks on tfjs backends next to PyTorch in the same command, and prints
 * ratios (tfjs time / PyTorch time; ≤ 1.0 means at least as fast) of medians and of minima, plus,
 * with --profile, the per-kernel time of one native step. PyTorch runs before and after the
 * tfjs backends and its two timings are averaged, so load drifting during the command biases
 * neither side.
 *
 * Usage:
 *   deno run -A bench/native_kernels.ts [--backend native[,wasm]] [--nets vanilla,nonlocal,toy]
 *     [--batch 100] [--reps 10] [--threads 2] [--nf 32] [--profile] [--cpu-time]
 *
 * `--cpu-time` times process CPU time (user + system, all threads) instead of wall time on both
 * sides: on a loaded machine it still compares the work each side does (with --threads 1 and
 * EBM_NATIVE_THREADS=1 it is the single-core cost), where wall time mostly measures the load.
 *
 * @example
 * ```sh
 * deno run -A bench/native_kernels.ts --backend native --nets vanilla --profile
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { initBackend } from "../lib/tensor/backend.ts";
import { createNet, type EnergyNet, type NetType } from "../lib/nets/net.ts";
import { langevinStep } from "../lib/ebm/langevin.ts";
import { paramGrads } from "../lib/ebm/grads.ts";
import { Random } from "../lib/util/random.ts";
import { benchFlags, flag, positiveIntFlag } from "./cli_args.ts";

benchFlags("Usage: deno run -A bench/native_kernels.ts [--backend native[,wasm]] [--nets vanilla,nonlocal,toy] [--batch 100] [--reps 10] [--threads 2] [--nf 32] [--profile] [--cpu-time]", ["backend", "nets", "batch", "reps", "threads", "nf"], ["profile", "cpu-time"]);

/** [median, min] in ms. */
type Timing = [number, number];
type Timings = { forward: Timing; langevin: Timing; weight?: Timing };

const backends = flag("backend", "native").split(",");
const nets = flag("nets", "vanilla,nonlocal,toy").split(",") as NetType[];
const batch = positiveIntFlag("batch", 100);
const reps = positiveIntFlag("reps", 10);
const threads = positiveIntFlag("threads", 2);
const nf = positiveIntFlag("nf", 32);
const profile = Deno.args.includes("--profile");
const cpuTime = Deno.args.includes("--cpu-time");

/** Milliseconds of wall time, or of process CPU time with --cpu-time. */
function clockMs(): number {
  if (!cpuTime) return performance.now();
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function timeMs(fn: () => void): Timing {
  fn();
  fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = clockMs();
    fn();
    times.push(clockMs() - start);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)], times[0]];
}

function uniform(shape: number[], rng: Random): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniform() * 2 - 1;
  return tf.tensor(values, shape);
}

/** The three timed operations for one net; the same definitions as bench/native_kernels.py. */
function operations(net: EnergyNet, rng: Random) {
  const shape = [batch, ...net.inputShape];
  const x = tf.keep(uniform(shape, rng));
  const xPos = tf.keep(uniform(shape, rng));
  const noise = tf.keep(tf.randomNormal(shape, 0, 1, "float32", 1));
  const lr = 1e-4;
  return {
    forward: () => tf.tidy(() => net.energy(x).sum().dataSync()),
    langevin: () => {
      const r = langevinStep(net, x, noise, 0.01);
      r.x.dispose();
    },
    weight: () => {
      const { grads } = paramGrads(net, () => tf.sub(tf.mean(net.energy(xPos)), tf.mean(net.energy(x))) as tf.Scalar);
      tf.tidy(() => {
        for (const p of net.params) p.variable.assign(tf.sub(p.variable, tf.mul(grads[p.key], lr)));
      });
      tf.dispose(Object.values(grads));
    },
  };
}

async function timeBackend(name: string): Promise<Record<string, Timings>> {
  await initBackend(name);
  const out: Record<string, Timings> = {};
  for (const type of nets) {
    const net = createNet(type, { n_c: 3, n_f: nf }, 0);
    const ops = operations(net, new Random(1));
    const timings: Timings = { forward: timeMs(ops.forward), langevin: timeMs(ops.langevin) };
    if (type !== "toy") timings.weight = timeMs(ops.weight);
    out[type] = timings;
    if (profile && name === "native") await printProfile(type, ops);
    net.dispose();
  }
  return out;
}

async function printProfile(type: string, ops: ReturnType<typeof operations>): Promise<void> {
  const { nativeProfile } = await import("../lib/tensor/native/install.ts");
  for (const [label, fn] of [["langevin", ops.langevin], ["weight", ops.weight]] as const) {
    if (type === "toy" && label === "weight") continue;
    nativeProfile.reset();
    nativeProfile.enable();
    const start = performance.now();
    fn();
    const total = performance.now() - start;
    nativeProfile.disable();
    const rows = nativeProfile.snapshot();
    const inKernels = rows.reduce((a, r) => a + r.ms, 0);
    console.log(`\nprofile ${type} ${label} step: ${total.toFixed(1)} ms total, ${inKernels.toFixed(1)} ms in kernels`);
    for (const r of rows.slice(0, 14)) console.log(`  ${r.kernel.padEnd(24)} ${String(r.calls).padStart(4)} calls ${r.ms.toFixed(1).padStart(8)} ms`);
  }
}

async function timePytorch(): Promise<Record<string, Timings>> {
  const script = new URL("./native_kernels.py", import.meta.url).pathname;
  const result = await new Deno.Command("/usr/bin/python3", {
    args: [script, nets.join(","), String(batch), String(reps), String(threads), String(nf), cpuTime ? "cpu" : "wall"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) throw new Error(`PyTorch reference failed: ${new TextDecoder().decode(result.stderr)}`);
  return JSON.parse(new TextDecoder().decode(result.stdout).trim().split("\n").pop()!);
}

console.log(`batch ${batch}, ${reps} reps, PyTorch ${threads} threads, ${cpuTime ? "process CPU time" : "wall time"}`);
const torchBefore = await timePytorch();
const results = new Map<string, Record<string, Timings>>();
for (const name of backends) results.set(name, await timeBackend(name));
const torchAfter = await timePytorch();
const fmt = (t: Timing) => `${t[0].toFixed(1).padStart(8)} / ${t[1].toFixed(1).padStart(7)}`;
console.log(`backend  net       step         ours median / min ms    torch median / min ms   ratio median  ratio min`);
for (const [name, ours] of results) {
  for (const type of nets) {
    for (const op of ["forward", "langevin", "weight"] as const) {
      const a = ours[type][op], b1 = torchBefore[type][op], b2 = torchAfter[type][op];
      if (a === undefined || b1 === undefined || b2 === undefined) continue;
      const b: Timing = [(b1[0] + b2[0]) / 2, (b1[1] + b2[1]) / 2];
      console.log(`${name.padEnd(8)} ${type.padEnd(9)} ${op.padEnd(9)} ${fmt(a)}      ${fmt(b)}      ${(a[0] / b[0]).toFixed(2).padStart(6)}      ${(a[1] / b[1]).toFixed(2).padStart(6)}`);
    }
  }
}
