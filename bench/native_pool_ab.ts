/**
 * A/B of the native backend's output-buffer pool (`EBM_NATIVE_POOL_MB`, buffer_pool.ts) on the
 * paper's training iteration: VanillaNet n_f 32, batch 100, 5 Langevin steps then one ML weight
 * step with Adam, repeated. Runs the same loop in child processes with the pool off (0) and on
 * (default), alternating `--rounds` times, and prints wall and process-CPU ms per iteration, the
 * resident set size at the end, and the on/off ratios (< 1: the pool is faster). On a loaded
 * machine the CPU-time ratio (all threads, user + system) is the steadier of the two.
 *
 * Usage: deno run -A bench/native_pool_ab.ts [--iters 12] [--rounds 2] [--threads N]
 *
 * @example
 * ```sh
 * deno run -A bench/native_pool_ab.ts --iters 12 --rounds 2 --threads 2
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { initBackend } from "../lib/tensor/backend.ts";
import { createNet } from "../lib/nets/net.ts";
import { gaussianNoise, langevinStep } from "../lib/ebm/langevin.ts";
import { mlLossGrads } from "../lib/ebm/grads.ts";
import { createOptimizer } from "../lib/ebm/optim.ts";
import { Random } from "../lib/util/random.ts";
import { benchFlags, positiveIntFlag } from "./cli_args.ts";

benchFlags("Usage: deno run -A bench/native_pool_ab.ts [--iters 12] [--rounds 2] [--threads N]", ["iters", "rounds", "threads"], ["child"]);

/** The child: runs the loop once and prints `{"ms", "cpuMs" (per iteration), "rssMiB"}`. */
async function child(iters: number): Promise<void> {
  await initBackend("native");
  const net = createNet("vanilla", { n_c: 3, n_f: 32 }, 0);
  const rng = new Random(1);
  const shape = [100, 32, 32, 3];
  const xPos = tf.tensor(rng.uniformArray(307200, -1, 1), shape);
  let x = tf.tensor(rng.uniformArray(307200, -1, 1), shape);
  const opt = createOptimizer("adam", net.params, { lr: 1e-4 });
  const iteration = () => {
    for (let s = 0; s < 5; s++) {
      const z = gaussianNoise(shape, rng);
      const step = langevinStep(net, x, z, 0.015);
      tf.dispose([z, x]);
      x = step.x;
    }
    const { grads } = mlLossGrads(net, xPos, x, 2 / 0.015 ** 2);
    opt.step(grads);
    tf.dispose(Object.values(grads));
  };
  iteration(); // warm-up: plans compiled, pool filled
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < iters; i++) iteration();
  const ms = (performance.now() - start) / iters;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 / iters, rssMiB: Deno.memoryUsage().rss / 2 ** 20 }));
}

async function runChild(poolMb: string, iters: number, threads: number): Promise<{ ms: number; cpuMs: number; rssMiB: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", "--iters", String(iters)],
    env: { EBM_NATIVE_POOL_MB: poolMb, EBM_NATIVE_THREADS: String(threads) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`Cannot run the pool A/B child (pool ${poolMb} MiB): ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

if (Deno.args.includes("--child")) {
  await child(positiveIntFlag("iters", 12));
  Deno.exit(0);
}
const iters = positiveIntFlag("iters", 12), rounds = positiveIntFlag("rounds", 2), threads = positiveIntFlag("threads", navigator.hardwareConcurrency);
console.log(`VanillaNet n_f 32, batch 100: ${iters} iterations of 5 Langevin steps + 1 Adam weight step, ${threads} thread(s), ${rounds} round(s)`);
const off: Array<{ ms: number; cpuMs: number }> = [], on: Array<{ ms: number; cpuMs: number }> = [];
for (let r = 0; r < rounds; r++) {
  for (const [mb, into] of [["0", off], ["", on]] as const) {
    const res = await runChild(mb, iters, threads);
    into.push(res);
    console.log(`  pool ${mb === "0" ? "off" : "on "}: ${res.ms.toFixed(1)} ms/iteration wall, ${res.cpuMs.toFixed(1)} ms CPU, rss ${res.rssMiB.toFixed(0)} MiB`);
  }
}
const mean = (v: Array<{ ms: number; cpuMs: number }>, k: "ms" | "cpuMs") => v.reduce((a, b) => a + b[k], 0) / v.length;
for (const [k, label] of [["ms", "wall"], ["cpuMs", "CPU"]] as const) {
  console.log(`pool on / off, ${label} time: ${(mean(on, k) / mean(off, k)).toFixed(3)} (mean ${mean(on, k).toFixed(1)} vs ${mean(off, k).toFixed(1)} ms)`);
}
Deno.exit(0);
