/**
 * One training iteration of the joint classifier-EBM (SPEC §6: the seed's MLP 784→512→512→512→10,
 * batch 64, η Langevin steps from U(−1, 1), then the cross-entropy + contrastive loss, backward
 * and one Adam step) on a tfjs backend, next to the same iteration in PyTorch
 * (`bench/hybrid_bench.py`, run by `/usr/bin/python3` in the same command when `import torch`
 * works; it says so when it does not). Prints the medians, the Langevin / weight-step split and
 * the ratio (ours / PyTorch).
 *
 * Usage: deno run -A bench/hybrid_bench.ts [--backend NAME] [--reps N] [--batch N] [--steps N]
 *   [--torch-threads N (default 2)] [--no-torch]
 *
 * @example
 * ```sh
 * deno run -A bench/hybrid_bench.ts --backend native --reps 5
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo, initBackend, resolveBackendName } from "../lib/tensor/backend.ts";
import { createMlpClassifier, energyFromLogits, SEED_MLP } from "../lib/nets/mlp_classifier.ts";
import { hybridLangevin } from "../lib/hybrid/langevin.ts";
import { hybridLossGrads } from "../lib/hybrid/objective.ts";
import { createOptimizer } from "../lib/ebm/optim.ts";
import { Random } from "../lib/util/random.ts";
import { benchFlags, flag, median, positiveIntFlag, runMain } from "./cli_args.ts";
import { runTorchReference } from "./torch_reference.ts";

const USAGE = "Usage: deno run -A bench/hybrid_bench.ts [--backend NAME] [--reps N] [--batch N] [--steps N] [--torch-threads N] [--no-torch]";
benchFlags(USAGE, ["backend", "reps", "batch", "steps", "torch-threads"], ["no-torch"]);

interface Timing {
  iteration_ms: number;
  langevin_ms: number;
  weight_ms: number;
  /** PyTorch only: its version and the BLAS its Linear layers use ("generic" = reference BLAS, slow). */
  torch?: string;
  blas?: string;
}

function torchTiming(reps: number, batch: number, steps: number, threads: number): Promise<Timing | null> {
  return runTorchReference<Timing>("hybrid_bench.py", ["--reps", String(reps), "--batch", String(batch), "--steps", String(steps), "--threads", String(threads)]);
}

async function main(): Promise<void> {
  const { name, note } = await resolveBackendName(flag("backend", undefined));
  const reps = positiveIntFlag("reps", 5), batch = positiveIntFlag("batch", 64), steps = positiveIntFlag("steps", 50);
  await initBackend(name);
  const info = backendInfo();
  console.log(`backend ${info.name} (${note}), threads ${info.threads}, batch ${batch}, η ${steps}, median of ${reps} after 1 warm-up iteration`);
  const mlp = createMlpClassifier(SEED_MLP, 0);
  const opt = createOptimizer("adam", mlp.params, { lr: 1e-3 });
  const rng = new Random(1);
  const d = SEED_MLP.inputs;
  const real = tf.tensor2d(rng.uniformArray(batch * d, -1, 1), [batch, d]);
  const labels = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % 10), "int32");
  const lang: number[] = [], weight: number[] = [];
  for (let rep = 0; rep <= reps; rep++) {
    const t0 = performance.now();
    const { states } = hybridLangevin((x) => energyFromLogits(mlp.logits(x), "jem"), rng.uniformArray(batch * d, -1, 1), [batch, d], { steps, alpha: 0.5, sigma: 0.05, clamp: "final", rng });
    const t1 = performance.now();
    const sample = tf.tensor2d(states, [batch, d]);
    const r = hybridLossGrads(mlp, real, labels, sample, { sign: "jem", generativeWeight: 1 });
    opt.step(r.grads);
    tf.dispose([sample, ...Object.values(r.grads)]);
    mlp.params[0].variable.dataSync();
    const t2 = performance.now();
    if (rep > 0) {
      lang.push(t1 - t0);
      weight.push(t2 - t1);
    }
  }
  const ours: Timing = { langevin_ms: median(lang), weight_ms: median(weight), iteration_ms: median(lang.map((v, i) => v + weight[i])) };
  const threads = positiveIntFlag("torch-threads", 2);
  const torch = Deno.args.includes("--no-torch") ? null : await torchTiming(reps, batch, steps, threads);
  if (torch === null) console.log(Deno.args.includes("--no-torch") ? "PyTorch skipped (--no-torch): no ratio" : "PyTorch NOT AVAILABLE (/usr/bin/python3 cannot import torch): no ratio");
  else {
    console.log(`PyTorch ${torch.torch} reference: ${threads} thread(s), same command; its BLAS: ${torch.blas}`);
    if (torch.blas === "generic") console.log("  (generic = the reference BLAS: this PyTorch's Linear layers run unoptimised, so the ratio flatters us)");
  }
  console.log("\npart        ours ms   torch ms   ratio");
  for (const key of ["iteration_ms", "langevin_ms", "weight_ms"] as const) {
    const t = torch?.[key] ?? null;
    console.log(`${key.replace("_ms", "").padEnd(10)} ${ours[key].toFixed(1).padStart(8)} ${(t?.toFixed(1) ?? "-").padStart(10)} ${(t ? (ours[key] / t).toFixed(2) : "-").padStart(7)}`);
  }
}

if (import.meta.main) await runMain(main);
