/**
 * Where one `vera-toy` update's time goes on the native backend, at the cpu profile's
 * vera-8gaussians recipe (batch 200, K = 20 posterior samples, EBM 2→100→100→1, toy generator
 * 2→100→100→2, glr 3e-3): wall time per update; inside it, every kernel's wall time (native and
 * cpu-borrowed, from the backend's kernel profile; the cpu-borrowed ones are counted in the
 * backend's fallback counters and marked `cpu`), and the remainder — tfjs dispatch, gradient
 * tape, host random draws, syncs and JavaScript around the kernels. Totals over `--iters`
 * updates after `--warmup` ones, divided by the count; the first pass (kernel profile off) also
 * prints the process's CPU time per update, the figure to compare on a shared machine.
 *
 * Run: `EBM_NATIVE_THREADS=1 deno run -A bench/vera_toy_profile.ts [--iters 20] [--warmup 3] [--backend native]`
 * @module
 */
import { loadavg } from "node:os";
import { cpuUsage } from "node:process";
import { initBackend } from "../lib/tensor/backend.ts";
import { nativeProfile, nativeStats, nativeKernelFactories } from "../lib/tensor/native/install.ts";
import { sampleToy2d } from "../lib/data/toy_2d.ts";
import { Random } from "../lib/util/random.ts";
import { VeraToyConfig, VeraToyProblem } from "../lib/vera/toy.ts";
import type { WorkerPool } from "../lib/pool/pool.ts";
import { benchFlags, flag, positiveIntFlag, runMain } from "./cli_args.ts";

async function main(): Promise<void> {
  benchFlags("Usage: deno run -A bench/vera_toy_profile.ts [--iters 20] [--warmup 3] [--backend native]", ["iters", "warmup", "backend"]);
  const iters = positiveIntFlag("iters", 20), warmup = positiveIntFlag("warmup", 3);
  const backend = flag("backend", "native");
  await initBackend(backend);
  const config = VeraToyConfig.parse({ n_iters: 1000, decay_epochs: [800, 900], glr: 0.003 });
  const points = sampleToy2d("8gaussians", 100000, new Random(1));
  // The pool is only used by finish() (the KDEs), which this bench does not call.
  const problem = new VeraToyProblem(config, points, "8gaussians", 1234, null as unknown as WorkerPool);
  const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`vera-8gaussians cpu recipe on ${backend}: ${iters} update(s) after ${warmup} warm-up, EBM_NATIVE_THREADS=${Deno.env.get("EBM_NATIVE_THREADS") ?? "(unset)"}; load average before: ${load()}`);
  for (let i = 1; i <= warmup; i++) await problem.iterate(i);
  let next = warmup + 1;
  const timed = async () => {
    const start = performance.now(), cpu0 = cpuUsage();
    for (let i = 0; i < iters; i++) await problem.iterate(next++);
    const cpu1 = cpuUsage(), cpuMs = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
    return { wall: (performance.now() - start) / iters, cpu: cpuMs / iters };
  };
  // Process CPU time (all threads) is the figure to compare on a shared machine: wall time there
  // includes the time other processes hold the cores.
  const off = await timed();
  console.log(`wall ${off.wall.toFixed(2)} ms, CPU ${off.cpu.toFixed(2)} ms per update (kernel profile off)`);
  if (backend !== "native") return;
  // A second pass with every kernel timed (the timers add a little to each call).
  const fallbacksBefore = { ...nativeStats().fallbacks }, poolBefore = nativeStats().pool;
  nativeProfile.reset();
  nativeProfile.enable();
  const wall = (await timed()).wall;
  nativeProfile.disable();
  const pool = nativeStats().pool;
  console.log(`wall ${wall.toFixed(2)} ms per update (kernel profile on); output-buffer pool per update: ${((pool.hits - poolBefore.hits) / iters).toFixed(0)} reused, ${((pool.misses - poolBefore.misses) / iters).toFixed(0)} allocated`);
  const replaced = new Set(Object.keys(nativeKernelFactories()));
  const fallbacks = nativeStats().fallbacks;
  const kernels = nativeProfile.snapshot();
  const kernelMs = kernels.reduce((a, k) => a + k.ms, 0) / iters;
  const pct = (ms: number) => `${(100 * ms / wall).toFixed(1)}%`;
  console.log(`  kernels ${kernelMs.toFixed(1)} ms (${pct(kernelMs)}), rest (dispatch, tape, host draws, bookkeeping) ${(wall - kernelMs).toFixed(1)} ms (${pct(wall - kernelMs)})`);
  console.log("  kernel                          calls/upd   ms/upd   share   where");
  for (const k of kernels) {
    const fell = (fallbacks[k.kernel] ?? 0) - (fallbacksBefore[k.kernel] ?? 0);
    const where = !replaced.has(k.kernel) ? "cpu" : fell > 0 ? `native, ${(fell / iters).toFixed(0)} fell back` : "native";
    console.log(`  ${k.kernel.padEnd(32)}${(k.calls / iters).toFixed(0).padStart(9)}${(k.ms / iters).toFixed(2).padStart(9)}   ${pct(k.ms / iters).padStart(5)}   ${where}`);
  }
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) await runMain(main);
