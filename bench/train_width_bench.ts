/**
 * Benchmark: seconds per non-convergent training iteration (`ImageTrainingProblem.iterate`: a
 * 100-step short run from uniform noise plus one Adam step, 32×32×1 images) for VanillaNet
 * widths n_f 8/16/32 at batch 32 and 64, with each cost's ratio to n_f 8 / batch 32 measured in
 * the same command. This sizes the `cpu` profile of pipelines/anatomy-fashion.yaml
 * (configs/profiles/fashion_nonconvergent.cpu.yaml): iterations that fit the budget for a width.
 *
 * Run: `EBM_NATIVE_THREADS=1 deno run -A bench/train_width_bench.ts [--backend native] [--iters 3] [--steps 100]`.
 * Each configuration gets one warm-up iteration (kernel plans are built on first use), then the
 * mean of `iters`. The load average is printed before and after: on a shared machine compare
 * ratios, not absolute times.
 * @module
 */
import { loadavg } from "node:os";
import { initBackend } from "../lib/tensor/backend.ts";
import { ImageTrainingProblem } from "../lib/train/image_problem.ts";
import { TrainEbmConfig } from "../lib/train/config.ts";
import { Random } from "../lib/util/random.ts";
import { benchFlags, flag, positiveIntFlag } from "./cli_args.ts";

benchFlags("Usage: EBM_NATIVE_THREADS=1 deno run -A bench/train_width_bench.ts [--backend native] [--iters 3] [--steps 100]", ["backend", "iters", "steps"]);

const backend = flag("backend", "native");
const iters = positiveIntFlag("iters", 3);
const steps = positiveIntFlag("steps", 100);
await initBackend(backend);

// Content does not change the cost; 2000 random images stand in for Fashion-MNIST.
const count = 2000;
const images = new Random(1).uniformArray(count * 32 * 32, -1, 1);
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`backend ${backend}, EBM_NATIVE_THREADS=${Deno.env.get("EBM_NATIVE_THREADS") ?? "(unset)"}, ${steps} Langevin steps per iteration, mean of ${iters}; load average before: ${load()}`);

let reference = 0;
for (const [n_f, batch_size] of [[8, 32], [16, 32], [32, 32], [8, 64], [16, 64], [32, 64]]) {
  const config = TrainEbmConfig.parse({
    data: "fashion-mnist", im_ch: 1, net_type: "vanilla", optimizer_type: "adam", lr_init: 1e-4, lr_min: 1e-4, lr_decay: 1,
    epsilon: 0.01, data_epsilon: 0.03, shortrun_init: "uniform", num_shortrun_steps: steps, n_f, batch_size, log_longrun: false,
  });
  const problem = new ImageTrainingProblem(config, { images, shape: [count, 32, 32, 1] }, 1);
  await problem.iterate(1, 1e-4);
  const start = performance.now();
  for (let i = 2; i < 2 + iters; i++) await problem.iterate(i, 1e-4);
  const seconds = (performance.now() - start) / 1000 / iters;
  problem.model.net.dispose();
  if (reference === 0) reference = seconds;
  console.log(`n_f ${String(n_f).padStart(2)} batch ${batch_size}: ${seconds.toFixed(3)} s/iteration, ×${(seconds / reference).toFixed(2)} of n_f 8 batch 32`);
}
console.log(`load average after: ${load()}`);
