/**
 * Benchmark: seconds per whole training iteration (positive batch, L-step short-run Langevin
 * chain, one Adam step, d_t and r_t read out) next to PyTorch's (`train_iteration_bench.py`,
 * the same recipe as the paper's scripts run it) in the same command, at three scales:
 *
 * | scale | recipe |
 * |---|---|
 * | `toy` | gmm_nonconvergent: ToyNet n_f 32, batch 100, L 100, ε 0.01, Gaussian init, Adam |
 * | `fashion-cpu` | Fashion cpu profile: VanillaNet n_c 1, n_f 16, batch 32, L 100, uniform init, Adam |
 * | `paper-image` | cifar10_nonconvergent: VanillaNet n_c 3, n_f 32, batch 100, L 150, uniform init, Adam |
 *
 * The toy scale also runs the per-step sampler (`EBM_FUSED_DENSE=0`, the path before the fused
 * chain kernel) in the same process. Rounds alternate ours and PyTorch so that a change in the
 * machine's load hits both; the summary is the median over all timed iterations of each, and
 * the load average is printed before and after (on a shared machine compare ratios).
 *
 * Run: `deno run -A bench/train_iteration_bench.ts [--scales toy,fashion-cpu,paper-image]
 * [--rounds 2] [--iters N] [--threads 2] [--backend native]`. `--threads` sets both
 * EBM_NATIVE_THREADS and PyTorch's thread count.
 * @module
 */
import { loadavg } from "node:os";
import { parse as parseYaml } from "yaml";
import { backendInfo, initBackend } from "../lib/tensor/backend.ts";
import { ToyTrainingProblem } from "../lib/train/toy_problem.ts";
import { ImageTrainingProblem } from "../lib/train/image_problem.ts";
import { TrainEbmConfig, TrainToyConfig } from "../lib/train/config.ts";
import type { WorkerPool } from "../lib/pool/pool.ts";
import { Random } from "../lib/util/random.ts";
import { FUSED_DENSE_ENV } from "../lib/ebm/fused_dense.ts";
import { benchFlags, flag, median, positiveIntFlag, runMain } from "./cli_args.ts";

const USAGE = "Usage: deno run -A bench/train_iteration_bench.ts [--scales toy,fashion-cpu,paper-image] [--rounds 2] [--iters N] [--threads 2] [--backend native]";
const SCALES = ["toy", "fashion-cpu", "paper-image"] as const;
type Scale = typeof SCALES[number];
const DEFAULT_ITERS: Record<Scale, number> = { toy: 20, "fashion-cpu": 3, "paper-image": 2 };

type Problem = { iterate(iter: number, lr: number): Promise<unknown> };

function makeProblem(scale: Scale): Problem {
  if (scale === "toy") {
    const yaml = parseYaml(Deno.readTextFileSync(new URL("../configs/gmm_nonconvergent.yaml", import.meta.url))) as Record<string, unknown>;
    // The KDE pool is only used for landscapes, which iterations do not draw.
    return new ToyTrainingProblem(TrainToyConfig.parse(yaml), 1, null as unknown as WorkerPool);
  }
  const [n_c, n_f, batch_size, steps] = scale === "fashion-cpu" ? [1, 16, 32, 100] : [3, 32, 100, 150];
  const config = TrainEbmConfig.parse({
    data: "fashion-mnist", im_ch: n_c, net_type: "vanilla", optimizer_type: "adam", lr_init: 1e-4, lr_min: 1e-4, lr_decay: 1,
    epsilon: 0.01, data_epsilon: 0.03, shortrun_init: "uniform", num_shortrun_steps: steps, n_f, batch_size, log_longrun: false,
  });
  const count = 2000; // content does not change the cost
  return new ImageTrainingProblem(config, { images: new Random(1).uniformArray(count * 32 * 32 * n_c, -1, 1), shape: [count, 32, 32, n_c] }, 1);
}

/** Seconds of each of `iters` iterations after one warm-up (plans and the C kernel are built on first use). */
async function timeOurs(problem: Problem, iters: number, first: number): Promise<number[]> {
  await problem.iterate(first, 1e-4);
  const out: number[] = [];
  for (let i = 1; i <= iters; i++) {
    const start = performance.now();
    await problem.iterate(first + i, 1e-4);
    out.push((performance.now() - start) / 1000);
  }
  return out;
}

async function timeTorch(scale: Scale, iters: number, threads: number): Promise<number[] | null> {
  const python = "/usr/bin/python3";
  try {
    const probe = await new Deno.Command(python, { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).output();
    if (!probe.success) return null;
  } catch {
    return null;
  }
  const script = new URL("./train_iteration_bench.py", import.meta.url).pathname;
  const out = await new Deno.Command(python, { args: [script, "--scale", scale, "--iters", String(iters), "--threads", String(threads)], stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`Cannot run the PyTorch reference (${script}): ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`);
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { seconds: number[] }).seconds;
}

function withFused<T>(on: boolean, fn: () => Promise<T>): Promise<T> {
  Deno.env.set(FUSED_DENSE_ENV, on ? "1" : "0");
  return fn().finally(() => Deno.env.delete(FUSED_DENSE_ENV));
}

const fmt = (s: number) => (s < 1 ? `${(s * 1000).toFixed(2)} ms` : `${s.toFixed(3)} s`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

async function main(): Promise<void> {
  benchFlags(USAGE, ["scales", "rounds", "iters", "threads", "backend"]);
  const scales = (flag("scales", SCALES.join(",")) ?? "").split(",").filter((s) => s) as Scale[];
  for (const s of scales) if (!SCALES.includes(s)) throw new Error(`Cannot read --scales: unknown scale '${s}' (expected ${SCALES.join(", ")})`);
  const rounds = positiveIntFlag("rounds", 2);
  const threads = positiveIntFlag("threads", 2);
  Deno.env.set("EBM_NATIVE_THREADS", String(threads));
  await initBackend(flag("backend", "native"));
  const info = backendInfo();
  console.log(`backend ${info.name}, ${threads} thread(s) for ours and PyTorch, ${rounds} round(s); load average before: ${load()}`);
  const rows: string[] = [];
  for (const scale of scales) {
    const iters = positiveIntFlag("iters", DEFAULT_ITERS[scale]);
    const problem = makeProblem(scale);
    const ours: number[] = [], perStep: number[] = [], torch: number[] = [];
    let next = 1;
    for (let r = 0; r < rounds; r++) {
      ours.push(...await withFused(true, () => timeOurs(problem, iters, next)));
      next += iters + 1;
      if (scale === "toy") {
        perStep.push(...await withFused(false, () => timeOurs(problem, iters, next)));
        next += iters + 1;
      }
      const t = await timeTorch(scale, iters, threads);
      if (t) torch.push(...t);
      console.log(`${scale} round ${r + 1}: ours ${fmt(median(ours.slice(-iters)))}` + (perStep.length ? `, per-step sampler ${fmt(median(perStep.slice(-iters)))}` : "") +
        (t ? `, PyTorch ${fmt(median(t))}` : ", PyTorch unavailable") + ` (load ${load()})`);
    }
    const o = median(ours), p = torch.length ? median(torch) : NaN;
    rows.push(`| ${scale} | ${fmt(o)} | ${perStep.length ? fmt(median(perStep)) : "—"} | ${torch.length ? fmt(p) : "—"} | ${torch.length ? (o / p).toFixed(2) + "×" : "—"} |` +
      ` ${perStep.length ? (median(perStep) / o).toFixed(1) + "×" : "—"} |`);
  }
  console.log(`\n| scale | ours | ours, per-step sampler | PyTorch | ours / PyTorch | fused speed-up |\n|---|---|---|---|---|---|\n${rows.join("\n")}`);
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) await runMain(main);
