/**
 * Where a whole training iteration's time goes on the native backend, at the scales of
 * `train_iteration_bench.ts` (default: the Fashion cpu profile, VanillaNet n_c 1, n_f 16, batch
 * 32, L 100): wall time per iteration; inside it, every kernel's wall time (native and
 * cpu-borrowed, from the backend's kernel profile), the host noise draws (timed apart with the
 * same stream sizes), and the remainder — tfjs dispatch, gradient tape, tensor bookkeeping and
 * JavaScript around the kernels. Medians are not used: totals over `--iters` iterations after one
 * warm-up, divided by the count.
 *
 * Run: `deno run -A bench/train_iteration_profile.ts [--scale fashion-cpu|paper-image|toy] [--iters 3] [--threads 1]`
 * @module
 */
import { loadavg } from "node:os";
import { initBackend } from "../lib/tensor/backend.ts";
import { nativeProfile } from "../lib/tensor/native/install.ts";
import { Random } from "../lib/util/random.ts";
import { benchFlags, flag, positiveIntFlag, runMain } from "./cli_args.ts";
import { makeProblem, SCALES, type Scale, SCALE_SHAPES } from "./train_iteration_bench.ts";

async function main(): Promise<void> {
  benchFlags("Usage: deno run -A bench/train_iteration_profile.ts [--scale fashion-cpu|paper-image|toy] [--iters 3] [--threads 1]", ["scale", "iters", "threads"]);
  const scale = flag("scale", "fashion-cpu") as Scale;
  if (!SCALES.includes(scale)) throw new Error(`Cannot read --scale: unknown scale '${scale}' (expected ${SCALES.join(", ")})`);
  const iters = positiveIntFlag("iters", 3);
  Deno.env.set("EBM_NATIVE_THREADS", String(positiveIntFlag("threads", 1)));
  await initBackend("native");
  const problem = makeProblem(scale);
  const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`${scale}: ${iters} iteration(s) after 1 warm-up, EBM_NATIVE_THREADS=${Deno.env.get("EBM_NATIVE_THREADS")}; load average before: ${load()}`);
  await problem.iterate(1, 1e-4);
  nativeProfile.reset();
  nativeProfile.enable();
  const start = performance.now();
  for (let i = 2; i < 2 + iters; i++) await problem.iterate(i, 1e-4);
  const wall = (performance.now() - start) / iters;
  nativeProfile.disable();
  const kernels = nativeProfile.snapshot();
  const kernelMs = kernels.reduce((a, k) => a + k.ms, 0) / iters;
  // The iteration's host noise: L draws of one batch (the init draw is uniform, counted in the rest).
  const { batch, perImage, steps } = SCALE_SHAPES[scale];
  const rng = new Random(1);
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) rng.normalArray(batch * perImage);
  const noiseMs = performance.now() - t0;
  const pct = (ms: number) => `${(100 * ms / wall).toFixed(1)}%`;
  console.log(`wall ${wall.toFixed(1)} ms per iteration`);
  console.log(`  kernels ${kernelMs.toFixed(1)} ms (${pct(kernelMs)}), host noise ${noiseMs.toFixed(1)} ms (${pct(noiseMs)}), rest (dispatch, tape, bookkeeping) ${(wall - kernelMs - noiseMs).toFixed(1)} ms (${pct(wall - kernelMs - noiseMs)})`);
  console.log("  kernel                          calls/iter   ms/iter   share");
  for (const k of kernels) {
    console.log(`  ${k.kernel.padEnd(32)}${(k.calls / iters).toFixed(0).padStart(10)}${(k.ms / iters).toFixed(2).padStart(10)}   ${pct(k.ms / iters)}`);
  }
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) await runMain(main);
