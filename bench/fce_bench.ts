/**
 * `bench/fce_bench.ts`: one flow-contrastive-estimation step on the EBM and one on the flow
 * (MAF and Glow as the FCE seed builds them; batch 1000 data + 1000 base points; Adam) on a tfjs
 * backend, next to the same steps in PyTorch (`bench/fce_bench.py`, run in the same command when
 * `/usr/bin/python3 -c 'import torch'` works; the bench says so when it does not). Prints the
 * median wall and process-CPU milliseconds and the ratios ours / PyTorch; on a loaded machine
 * compare the CPU columns (both sides run one thread by default, so CPU time ≈ idle wall time).
 * Writes `outputs/bench/fce-<backend>.json`.
 *
 * Usage: deno run -A bench/fce_bench.ts [--backend NAME] [--flows maf,glow] [--reps N] [--batch N]
 *   [--torch-threads N (default 1)] [--no-torch]
 *
 * @example
 * ```sh
 * EBM_NATIVE_THREADS=1 deno run -A bench/fce_bench.ts --backend native --reps 10
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { backendInfo, initBackend, resolveBackendName } from "../lib/tensor/backend.ts";
import { createFceModels, FceTrainer } from "../lib/train/fce.ts";
import { TrainFceConfig } from "../lib/train/fce_config.ts";
import { Random } from "../lib/util/random.ts";
import { writeJsonAtomic } from "../lib/util/fs.ts";
import { benchFlags, flag, median, positiveIntFlag, runMain } from "./cli_args.ts";
import { runTorchReference } from "./torch_reference.ts";

const USAGE = "Usage: deno run -A bench/fce_bench.ts [--backend NAME] [--flows maf,glow] [--reps N] [--batch N] [--torch-threads N] [--no-torch]";
benchFlags(USAGE, ["backend", "flows", "reps", "batch", "torch-threads"], ["no-torch"]);

type Timing = { ms: number; cpu_ms: number };
type Row = { flow: string; op: string } & Timing & { torch_ms: number | null; torch_cpu_ms: number | null; ratio: number | null; cpu_ratio: number | null };

/** Median wall and process-CPU ms of `fn` after `warmup` runs. */
function timeIt(fn: () => void, reps: number, warmup: number): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(wall), cpu_ms: median(cpu) };
}

async function torchTimings(flows: string[], reps: number, batch: number, threads: number): Promise<Map<string, Timing> | null> {
  const parsed = await runTorchReference<{ rows: { flow: string; op: string; ms: number; cpu_ms: number }[] }>("fce_bench.py", ["--flows", flows.join(","), "--reps", String(reps), "--batch", String(batch), "--threads", String(threads)]);
  return parsed === null ? null : new Map(parsed.rows.map((r) => [`${r.flow}/${r.op}`, { ms: r.ms, cpu_ms: r.cpu_ms }]));
}

async function main(): Promise<void> {
  const { name, note } = await resolveBackendName(flag("backend", undefined));
  const flows = (flag("flows", "maf,glow") ?? "").split(",").filter((s) => s);
  for (const f of flows) if (f !== "maf" && f !== "glow") throw new Error(`Cannot read --flows: unknown flow '${f}' (expected maf, glow)`);
  const reps = positiveIntFlag("reps", 10), batch = positiveIntFlag("batch", 1000), warmup = 2;
  await initBackend(name);
  const info = backendInfo();
  console.log(`backend ${info.name} (${note}), threads ${info.threads}, batch ${batch}, median of ${reps} after ${warmup} warm-up steps`);
  const ours = new Map<string, Timing>();
  for (const flowKind of flows as ("maf" | "glow")[]) {
    const config = TrainFceConfig.parse({ flow: flowKind, batch });
    const { ebm, flow } = createFceModels(config, 0);
    const trainer = new FceTrainer(ebm, flow, config);
    const rng = new Random(1);
    const x = tf.tensor2d(rng.normalArray(2 * batch, 0, 2), [batch, 2]), z = tf.tensor2d(rng.normalArray(2 * batch), [batch, 2]);
    flow.initialize(x);
    for (const op of ["ebm", "flow"] as const) {
      const t = timeIt(() => void trainer.step(x, z, op), reps, warmup);
      ours.set(`${flowKind}/${op}_step`, t);
      console.log(`  ${flowKind} ${op} step: ${t.ms.toFixed(1)} ms wall, ${t.cpu_ms.toFixed(1)} ms CPU`);
    }
    tf.dispose([x, z]);
    trainer.dispose();
  }
  const threads = positiveIntFlag("torch-threads", 1);
  const torch = Deno.args.includes("--no-torch") ? null : await torchTimings(flows, reps, batch, threads);
  console.log(torch !== null ? `PyTorch reference: ${threads} thread(s), same command` : Deno.args.includes("--no-torch") ? "PyTorch skipped (--no-torch): no ratios" : "PyTorch NOT available (/usr/bin/python3 -c 'import torch' failed): no ratios");
  const rows: Row[] = [...ours].map(([key, t]) => {
    const [flow, op] = key.split("/"), r = torch?.get(key) ?? null;
    return { flow, op, ms: round(t.ms), cpu_ms: round(t.cpu_ms), torch_ms: r && round(r.ms), torch_cpu_ms: r && round(r.cpu_ms), ratio: r && round(t.ms / r.ms), cpu_ratio: r && round(t.cpu_ms / r.cpu_ms) };
  });
  console.log("\nflow  op         ms      CPU ms   torch ms  torch CPU   ratio  CPU ratio");
  const f = (v: number | null, w: number) => (v === null ? "-" : v.toFixed(2)).padStart(w);
  for (const r of rows) console.log(`${r.flow.padEnd(5)} ${r.op.padEnd(9)} ${f(r.ms, 8)} ${f(r.cpu_ms, 9)} ${f(r.torch_ms, 10)} ${f(r.torch_cpu_ms, 10)} ${f(r.ratio, 7)} ${f(r.cpu_ratio, 10)}`);
  const path = `outputs/bench/fce-${info.name}.json`;
  await writeJsonAtomic(path, { backend: info.name, threads: info.threads, batch, rows });
  console.log(`\nwrote ${path}`);
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

if (import.meta.main) await runMain(main);
