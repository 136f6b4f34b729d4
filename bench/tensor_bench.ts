/**
 * `deno task bench`: times ToyNet / VanillaNet / NonlocalNet (32×32×3, batch 100) on a tfjs
 * backend — forward, one Langevin step (∇x + update + noise, its result read out), one weight
 * step (∇θ of the ML loss + Adam) — on the path training takes (`shortRunLangevin` and the ML
 * gradient of `NetAndOptimizer`: the fused dense kernels for ToyNet where the backend has them,
 * the per-op path otherwise), as the median of repeated runs after warm-up; runs the same operations in PyTorch (2 threads,
 * `bench/tensor_bench.py`) in the same command when `/usr/bin/python3 -c 'import torch'` works;
 * prints a table with ratios (tfjs / PyTorch) and writes `outputs/bench/<backend>.json` as
 * `{"backend", "threads", "rows": [{"net", "op", "ms", "torch_ms", "ratio"}]}`.
 *
 * Usage: deno task bench [--backend NAME] [--nets toy,vanilla,nonlocal] [--reps N] [--batch N]
 *   [--torch-threads N (default 2)] [--no-torch]
 *
 * @example
 * ```sh
 * deno task bench --backend wasm --nets vanilla --reps 5
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo, initBackend, resolveBackendName } from "../lib/tensor/backend.ts";
import { createNet, type EnergyNet, type NetType } from "../lib/nets/net.ts";
import { shortRunLangevin } from "../lib/ebm/langevin.ts";
import { mlLossGrads } from "../lib/ebm/grads.ts";
import { fusedMlGrads } from "../lib/ebm/fused_dense.ts";
import { createOptimizer } from "../lib/ebm/optim.ts";
import { Random } from "../lib/util/random.ts";
import { writeJsonAtomic } from "../lib/util/fs.ts";
import { benchFlags, flag, median, positiveIntFlag, runMain } from "./cli_args.ts";
import { runTorchReference } from "./torch_reference.ts";

benchFlags("Usage: deno task bench [--backend NAME] [--nets toy,vanilla,nonlocal] [--reps N] [--batch N] [--torch-threads N] [--no-torch]", ["backend", "nets", "reps", "batch", "torch-threads"], ["no-torch"]);

const OPS = ["forward", "langevin", "weight"] as const;
type Row = { net: string; op: typeof OPS[number]; ms: number; torch_ms: number | null; ratio: number | null };

function medianMs(fn: () => void, reps: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function timeNet(net: EnergyNet, batch: number, reps: number, warmup: number): Record<typeof OPS[number], number> {
  const rng = new Random(1);
  const shape = [batch, ...net.inputShape];
  const x = tf.tensor(rng.uniformArray(batch * net.inputShape.reduce((a, b) => a * b, 1), -1, 1), shape);
  const xNeg = tf.tensor(rng.uniformArray(x.size, -1, 1), shape);
  const opt = createOptimizer("adam", net.params, { lr: 1e-4 });
  const eps = 0.015;
  const forward = () => tf.tidy(() => void net.energy(x).dataSync());
  const langevin = () => {
    const run = shortRunLangevin(net, xNeg, { steps: 1, epsilon: eps, rng });
    run.x.dataSync();
    run.x.dispose();
  };
  const weight = () => {
    const { grads } = fusedMlGrads(net, x, xNeg, 2 / eps ** 2) ?? mlLossGrads(net, x, xNeg, 2 / eps ** 2);
    opt.step(grads);
    tf.dispose(Object.values(grads));
  };
  const out = { forward: medianMs(forward, reps, warmup), langevin: medianMs(langevin, reps, warmup), weight: medianMs(weight, reps, warmup) };
  tf.dispose([x, xNeg]);
  opt.dispose();
  return out;
}

async function torchTimings(nets: string[], reps: number, batch: number, threads: number): Promise<Map<string, number> | null> {
  const parsed = await runTorchReference<{ rows: { net: string; op: string; ms: number }[] }>("tensor_bench.py", ["--nets", nets.join(","), "--reps", String(reps), "--batch", String(batch), "--threads", String(threads)]);
  return parsed === null ? null : new Map(parsed.rows.map((r) => [`${r.net}/${r.op}`, r.ms]));
}

async function main(): Promise<void> {
  const { name, note } = await resolveBackendName(flag("backend", undefined));
  const nets = (flag("nets", "toy,vanilla,nonlocal") ?? "").split(",").filter((s) => s) as NetType[];
  for (const n of nets) if (!["toy", "vanilla", "nonlocal"].includes(n)) throw new Error(`Cannot read --nets: unknown net '${n}' (expected toy, vanilla, nonlocal)`);
  const reps = positiveIntFlag("reps", 10);
  const batch = positiveIntFlag("batch", 100);
  const warmup = 2;
  await initBackend(name);
  const info = backendInfo();
  console.log(`backend ${info.name} (${note}), threads ${info.threads}, batch ${batch}, median of ${reps} after ${warmup} warm-up runs`);
  const ours = new Map<string, number>();
  for (const type of nets) {
    const net = createNet(type, { n_c: 3, n_f: 32 }, 0);
    const t = timeNet(net, batch, reps, warmup);
    for (const op of OPS) ours.set(`${type}/${op}`, t[op]);
    console.log(`  ${type}: forward ${t.forward.toFixed(1)} ms, langevin ${t.langevin.toFixed(1)} ms, weight ${t.weight.toFixed(1)} ms`);
    net.dispose();
  }
  const torchThreads = positiveIntFlag("torch-threads", 2);
  const torch = Deno.args.includes("--no-torch") ? null : await torchTimings(nets, reps, batch, torchThreads);
  if (torch !== null) console.log(`PyTorch reference: ${torchThreads} thread(s), same command`);
  if (torch === null) {
    console.log(Deno.args.includes("--no-torch") ? "PyTorch skipped (--no-torch): torch_ms and ratio are null" : "PyTorch not available: torch_ms and ratio are null");
  }
  const rows: Row[] = nets.flatMap((net) =>
    OPS.map((op) => {
      const ms = ours.get(`${net}/${op}`)!, t = torch?.get(`${net}/${op}`) ?? null;
      return { net, op, ms: round(ms), torch_ms: t === null ? null : round(t), ratio: t === null ? null : round(ms / t) };
    })
  );
  console.log("\nnet       op        tfjs ms   torch ms   ratio");
  for (const r of rows) {
    console.log(`${r.net.padEnd(9)} ${r.op.padEnd(9)} ${r.ms.toFixed(1).padStart(8)} ${(r.torch_ms?.toFixed(1) ?? "-").padStart(10)} ${(r.ratio?.toFixed(2) ?? "-").padStart(7)}`);
  }
  const path = `outputs/bench/${info.name}.json`;
  await writeJsonAtomic(path, { backend: info.name, threads: info.threads, rows });
  console.log(`\nwrote ${path}`);
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

if (import.meta.main) await runMain(main);
