/**
 * Benchmark: attraction-diffusion trials on 2 pool workers vs 1 (same command, same trials,
 * alternating runs), printing the speed-up (issue 6 target ≥ 1.8×), the in-thread time (the
 * compute alone, so the pool's own overhead shows) and a raw-pool control: equal pure-CPU tasks
 * on 1 vs 2 threads, i.e. what the pool and the machine can scale to at that moment. All three
 * executors must return identical results.
 *
 * Energy: 16 Gaussian wells in 784-D (Fashion-MNIST-sized states) with radii 1–8 and widths
 * 0.8–1.6, and a pull that crosses some barriers but not others, so trial lengths are as unequal
 * as in real AD (most succeed, some fail after `patience`, a few take 5× the median). Two
 * workloads, as `basin-cluster` issues them:
 * - `barriers`: one call of `trials` trials (the barrier-matrix phase);
 * - `rounds`: `rounds` sequential calls of 20 trials (clustering: one minimum against 10
 *   candidate basins in both directions), each call waiting for its slowest trial.
 *
 * Run: `deno run -A bench/adelm_bench.ts [--trials 384] [--rounds 24] [--repeats 3] [--max-batch 1]`.
 * Timings are the best of `repeats`; each repeat runs every workload on every executor and then
 * the control (sized to ~2 s on one thread), so load drift hits all alike. The load average is
 * printed before and after, because a busy machine cannot show 2-worker scaling: compare the
 * speed-up with the control's.
 * @module
 */
import { loadavg } from "node:os";
import { createPool, type WorkerPool } from "../lib/pool/pool.ts";
import { type Executor, localExecutor, poolExecutor, type TrialJob } from "../lib/adelm/executor.ts";
import { type EnergySource, loadEnergy } from "../lib/adelm/energy_source.ts";
import type { AttractionParams, AttractionResult } from "../lib/adelm/attraction.ts";
import { Phase, streamSeed } from "../lib/adelm/streams.ts";
import { Random } from "../lib/util/random.ts";
import { burn } from "./pool_burn_worker.ts";
import { benchFlags, positiveIntFlag } from "./cli_args.ts";

benchFlags("Usage: deno run -A bench/adelm_bench.ts [--trials 384] [--rounds 24] [--repeats 3] [--max-batch 1]", ["trials", "rounds", "repeats", "max-batch"]);

const trials = positiveIntFlag("trials", 384), rounds = positiveIntFlag("rounds", 24), repeats = positiveIntFlag("repeats", 3), maxBatch = positiveIntFlag("max-batch", 1);

const dim = 784, wellCount = 16, rng = new Random(1);
const wells = Array.from({ length: wellCount }, () => {
  const radius = 1 + 7 * rng.uniform(), u = rng.normalArray(dim), norm = Math.hypot(...u);
  return { center: Array.from(u, (v) => (v * radius) / norm), weight: 0.5 + rng.uniform(), sigma: 0.8 + 0.8 * rng.uniform() };
});
const source: EnergySource = { kind: "analytic", wells };
const centers = wells.map((w) => Float32Array.from(w.center));
const T = 0.0002;
// pull α·T = 3 energy units per unit distance: pairs whose path is steeper than that fail
const params: AttractionParams = { temperature: T, stepSize: Math.sqrt(0.1 * T), alpha: 3 / T, delta: 0.5, patience: 40, maxSteps: 2000, clamp: null };

const barrierJobs: TrialJob[] = Array.from({ length: trials }, (_, t) => {
  const i = t % wellCount, j = (i + 1 + (t % (wellCount - 1))) % wellCount;
  return { start: centers[i], target: centers[j], seed: streamSeed(7, Phase.Barrier, t) };
});
const roundJobs: TrialJob[][] = Array.from({ length: rounds }, (_, r) => {
  const m = r % wellCount, jobs: TrialJob[] = [];
  for (let c = 0; c < 10; c++) {
    const b = (m + 1 + ((r + c) % (wellCount - 1))) % wellCount;
    jobs.push({ start: centers[m], target: centers[b], seed: streamSeed(7, Phase.Cluster, r, c, 0) });
    jobs.push({ start: centers[b], target: centers[m], seed: streamSeed(7, Phase.Cluster, r, c, 1) });
  }
  return jobs;
});

const workloads: { name: string; run: (e: Executor) => Promise<AttractionResult[]> }[] = [
  { name: `barriers: 1 call of ${trials} trials`, run: (e) => e.attract(barrierJobs, params) },
  {
    name: `rounds: ${rounds} calls of 20 trials`,
    async run(e) {
      const out: AttractionResult[] = [];
      for (const jobs of roundJobs) out.push(...(await e.attract(jobs, params)));
      return out;
    },
  },
];

function load(): string {
  return loadavg().map((v) => v.toFixed(2)).join(", ");
}

/** The raw-pool control: 8 equal pure-CPU tasks (`iterations` each) on `pool`. */
async function control(pool: WorkerPool, iterations: number): Promise<void> {
  await Promise.all(Array.from({ length: 8 }, () => pool.run(BURN, "burn", iterations)));
}
const BURN = new URL("./pool_burn_worker.ts", import.meta.url);

/** Iterations of one control task so that the 8 tasks take about `ms` on one thread. */
function calibrateBurn(ms: number): number {
  let iterations = 100_000, took = 0;
  while (took < 50) {
    iterations *= 2;
    const t0 = performance.now();
    burn(iterations);
    took = performance.now() - t0;
  }
  return Math.round((iterations * ms) / (8 * took));
}

function stepStats(results: AttractionResult[]): string {
  const steps = results.map((r) => r.steps).sort((a, b) => a - b), q = (p: number) => steps[Math.round(p * (steps.length - 1))];
  const total = steps.reduce((a, b) => a + b, 0), successes = results.filter((r) => r.success).length;
  return `${results.length} trials, ${successes} successes, ${total} Langevin steps; steps per trial min ${q(0)}, median ${q(0.5)}, p90 ${q(0.9)}, max ${q(1)}`;
}

const one = createPool({ threads: 1 }), two = createPool({ threads: 2 });
try {
  console.log(`adelm_bench: ${dim}-D, ${wellCount} wells, pool workers keep ${maxBatch} trial(s) in flight; best of ${repeats}; load average before: ${load()}`);
  const executors = [localExecutor(await loadEnergy(source), { maxBatch }), poolExecutor(one, source, { maxBatch }), poolExecutor(two, source, { maxBatch })];
  // warm the JIT, start the threads and build their energies before timing
  for (const e of executors) await e.attract(barrierJobs.slice(0, 8), params);
  for (const p of [one, two]) await Promise.all(Array.from({ length: p.size }, () => p.run(BURN, "burn", 1000)));
  const burnIterations = calibrateBurn(2000);
  // every repeat runs each workload on each executor, then the control, so load drift hits all alike
  const best = workloads.map(() => executors.map(() => ({ ms: Infinity, results: [] as AttractionResult[] })));
  const controlBest = [Infinity, Infinity];
  for (let r = 0; r < repeats; r++) {
    for (const [w, workload] of workloads.entries()) {
      for (const [i, e] of executors.entries()) {
        const t0 = performance.now();
        best[w][i].results = await workload.run(e);
        best[w][i].ms = Math.min(best[w][i].ms, performance.now() - t0);
      }
    }
    for (const [i, p] of [one, two].entries()) {
      const t0 = performance.now();
      await control(p, burnIterations);
      controlBest[i] = Math.min(controlBest[i], performance.now() - t0);
    }
  }
  const controlSpeedUp = controlBest[0] / controlBest[1];
  let allSame = true;
  for (const [w, workload] of workloads.entries()) {
    const [local, a, b] = best[w];
    const same = [a, b].every((x) => JSON.stringify(x.results) === JSON.stringify(local.results));
    allSame &&= same;
    console.log(`${workload.name} (${stepStats(local.results)})`);
    console.log(`  in-thread: ${local.ms.toFixed(0)} ms (the compute alone)`);
    console.log(`  1 worker : ${a.ms.toFixed(0)} ms (${(a.ms / local.ms).toFixed(2)}× in-thread)`);
    console.log(`  2 workers: ${b.ms.toFixed(0)} ms`);
    console.log(`  speed-up : ${(a.ms / b.ms).toFixed(2)}× (target ≥ 1.8×; ${((a.ms / b.ms) / controlSpeedUp).toFixed(2)} of the control's); identical results in-thread / 1 / 2 workers: ${same}`);
  }
  console.log(`control: raw pool, 8 equal CPU tasks: 1 thread ${controlBest[0].toFixed(0)} ms, 2 threads ${controlBest[1].toFixed(0)} ms, speed-up ${controlSpeedUp.toFixed(2)}× (below ~1.9× the machine itself is busy)`);
  console.log(`load average after: ${load()}`);
  if (!allSame) Deno.exitCode = 1;
} finally {
  await one.close();
  await two.close();
}
