/**
 * Benchmark: attraction-diffusion trials on 2 pool workers vs 1 (same command, same trials),
 * printing the speed-up (issue 6 target ≥ 1.8×) and checking both give identical results.
 * Energy: 16 Gaussian wells in 784-D (Fashion-MNIST-sized states), trials between well minima.
 *
 * Run: `deno run -A bench/adelm_bench.ts [trials=96] [repeats=5] [jobs_per_task=1]`. Timings are the best of
 * `repeats` alternating runs; on a shared machine compare with the load average printed by `uptime`.
 * @module
 */
import { createPool, type WorkerPool } from "../lib/pool/pool.ts";
import { localExecutor, poolExecutor } from "../lib/adelm/executor.ts";
import { loadEnergy } from "../lib/adelm/energy_source.ts";
import type { EnergySource } from "../lib/adelm/energy_source.ts";
import type { AttractionParams, AttractionResult } from "../lib/adelm/attraction.ts";
import { Phase, streamSeed } from "../lib/adelm/streams.ts";
import { Random } from "../lib/util/random.ts";

const trials = Number(Deno.args[0] ?? 96), repeats = Number(Deno.args[1] ?? 5), jobsPerTask = Number(Deno.args[2] ?? 1);
const dim = 784, wellsCount = 16, rng = new Random(1);
const wells = Array.from({ length: wellsCount }, () => ({ center: Array.from(rng.normalArray(dim, 0, 0.15)), weight: 0.5 + rng.uniform(), sigma: 1 }));
const source: EnergySource = { kind: "analytic", wells: wells.map((w) => ({ ...w })) };
const T = 0.0002;
const params: AttractionParams = { temperature: T, stepSize: Math.sqrt(0.1 * T), alpha: 4 / T, delta: 0.5, patience: 40, maxSteps: 2000, clamp: null };
const jobs = Array.from({ length: trials }, (_, t) => {
  const i = t % wellsCount, j = (i + 1 + (t % (wellsCount - 1))) % wellsCount;
  return { start: Float32Array.from(wells[i].center), target: Float32Array.from(wells[j].center), seed: streamSeed(7, Phase.Barrier, t) };
});

/** Warms both pools, then alternates timed runs (1, 2, 1, 2, …) so load drift hits both alike. */
async function timeBoth(pools: WorkerPool[]): Promise<{ ms: number; results: AttractionResult[] }[]> {
  const executors = pools.map((p) => poolExecutor(p, source, { jobsPerTask }));
  for (const [i, e] of executors.entries()) await e.attract(jobs.slice(0, pools[i].size * 2), params); // start threads, build energies
  const out = pools.map(() => ({ ms: Infinity, results: [] as AttractionResult[] }));
  for (let r = 0; r < repeats; r++) {
    for (const [i, e] of executors.entries()) {
      const t0 = performance.now();
      out[i].results = await e.attract(jobs, params);
      out[i].ms = Math.min(out[i].ms, performance.now() - t0);
    }
  }
  return out;
}

const one = createPool({ threads: 1 }), two = createPool({ threads: 2 });
try {
  const [a, b] = await timeBoth([one, two]);
  const inThread = localExecutor(await loadEnergy(source));
  let local = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await inThread.attract(jobs, params);
    local = Math.min(local, performance.now() - t0);
  }
  const same = JSON.stringify(a.results) === JSON.stringify(b.results);
  const steps = a.results.reduce((s, r) => s + r.steps, 0);
  console.log(`adelm_bench: ${trials} AD trials in ${dim}-D (${steps} Langevin steps, ${a.results.filter((r) => r.success).length} successes), best of ${repeats}`);
  console.log(`  in-thread: ${local.toFixed(0)} ms (no pool: the compute alone)`);
  console.log(`  1 worker : ${a.ms.toFixed(0)} ms`);
  console.log(`  2 workers: ${b.ms.toFixed(0)} ms`);
  console.log(`  speed-up : ${(a.ms / b.ms).toFixed(2)}× (target ≥ 1.8×); identical results: ${same}`);
  if (!same) Deno.exitCode = 1;
} finally {
  await one.close();
  await two.close();
}
