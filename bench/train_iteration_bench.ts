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
 * The toy scale also runs the per-op dense path (`EBM_FUSED_DENSE=0`: the per-step sampler and
 * tfjs's gradient tape, the path before the fused dense kernels) in the same process. Rounds
 * alternate ours and PyTorch so that a change in the machine's load hits both; the summary is the
 * median over all timed iterations of each, as wall time and as CPU time of the process (with one
 * thread, CPU time is the work done, which a loaded machine does not inflate the way it inflates
 * wall time), and the load average is printed before and after.
 *
 * Run: `deno run -A bench/train_iteration_bench.ts [--scales toy,fashion-cpu,paper-image]
 * [--rounds 2] [--iters N] [--threads 2] [--backend native]`. `--threads` sets both
 * EBM_NATIVE_THREADS and PyTorch's thread count.
 * @module
 */
import { loadavg } from "node:os";
import process from "node:process";
import { parse as parseYaml } from "yaml";
import { backendInfo, initBackend } from "../lib/tensor/backend.ts";
import { ToyTrainingProblem } from "../lib/train/toy_problem.ts";
import { ImageTrainingProblem } from "../lib/train/image_problem.ts";
import { TrainEbmConfig, TrainToyConfig } from "../lib/train/config.ts";
import type { WorkerPool } from "../lib/pool/pool.ts";
import { Random } from "../lib/util/random.ts";
import { FUSED_DENSE_ENV } from "../lib/ebm/fused_dense.ts";
import { benchFlags, flag, median, positiveIntFlag, runMain } from "./cli_args.ts";
import { runTorchReference } from "./torch_reference.ts";

const USAGE = "Usage: deno run -A bench/train_iteration_bench.ts [--scales toy,fashion-cpu,paper-image] [--rounds 2] [--iters N] [--threads 2] [--backend native]";
/** The bench's scales. */
export const SCALES = ["toy", "fashion-cpu", "paper-image"] as const;
/** One of {@link SCALES}. */
export type Scale = typeof SCALES[number];
/** Batch size, values per state and Langevin steps of each scale. */
export const SCALE_SHAPES: Record<Scale, { batch: number; perImage: number; steps: number }> = {
  toy: { batch: 100, perImage: 2, steps: 100 },
  "fashion-cpu": { batch: 32, perImage: 32 * 32, steps: 100 },
  "paper-image": { batch: 100, perImage: 32 * 32 * 3, steps: 150 },
};
const DEFAULT_ITERS: Record<Scale, number> = { toy: 20, "fashion-cpu": 3, "paper-image": 2 };

type Problem = { iterate(iter: number, lr: number): Promise<unknown> };

/** A training problem of `scale`'s recipe (random images stand in for the data: content does not change the cost). */
export function makeProblem(scale: Scale): Problem {
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

/** Wall and CPU (process) seconds of each iteration. */
type Timings = { wall: number[]; cpu: number[] };

/** Timings of `iters` iterations after one warm-up (plans and the C kernels are built on first use). */
async function timeOurs(problem: Problem, iters: number, first: number): Promise<Timings> {
  await problem.iterate(first, 1e-4);
  const out: Timings = { wall: [], cpu: [] };
  for (let i = 1; i <= iters; i++) {
    const start = performance.now(), cpu = process.cpuUsage();
    await problem.iterate(first + i, 1e-4);
    const used = process.cpuUsage(cpu);
    out.wall.push((performance.now() - start) / 1000);
    out.cpu.push((used.user + used.system) / 1e6);
  }
  return out;
}

async function timeTorch(scale: Scale, iters: number, threads: number): Promise<Timings | null> {
  const parsed = await runTorchReference<{ seconds: number[]; cpu_seconds: number[] }>("train_iteration_bench.py", ["--scale", scale, "--iters", String(iters), "--threads", String(threads)]);
  return parsed === null ? null : { wall: parsed.seconds, cpu: parsed.cpu_seconds };
}

/** Runs `fn` with the fused dense kernels on where available (env unset) or off (`EBM_FUSED_DENSE=0`). */
function withFused<T>(on: boolean, fn: () => Promise<T>): Promise<T> {
  if (on) Deno.env.delete(FUSED_DENSE_ENV);
  else Deno.env.set(FUSED_DENSE_ENV, "0");
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
  const merge = (into: Timings, t: Timings) => {
    into.wall.push(...t.wall);
    into.cpu.push(...t.cpu);
  };
  const both = (t: Timings) => `${fmt(median(t.wall))} (CPU ${fmt(median(t.cpu))})`;
  for (const scale of scales) {
    const iters = positiveIntFlag("iters", DEFAULT_ITERS[scale]);
    const problem = makeProblem(scale);
    const ours: Timings = { wall: [], cpu: [] }, perOp: Timings = { wall: [], cpu: [] }, torch: Timings = { wall: [], cpu: [] };
    let next = 1;
    for (let r = 0; r < rounds; r++) {
      const o = await withFused(true, () => timeOurs(problem, iters, next));
      merge(ours, o);
      next += iters + 1;
      let line = `${scale} round ${r + 1}: ours ${both(o)}`;
      if (scale === "toy") {
        const p = await withFused(false, () => timeOurs(problem, iters, next));
        merge(perOp, p);
        next += iters + 1;
        line += `, per-op dense path ${both(p)}`;
      }
      const t = await timeTorch(scale, iters, threads);
      if (t) merge(torch, t);
      console.log(`${line}, ${t ? `PyTorch ${both(t)}` : "PyTorch unavailable"} (load ${load()})`);
    }
    const ratio = (a: number[], b: number[]) => (a.length && b.length ? `${(median(a) / median(b)).toFixed(2)}×` : "—");
    rows.push(
      `| ${scale} | ${both(ours)} | ${perOp.wall.length ? both(perOp) : "—"} | ${torch.wall.length ? both(torch) : "—"} | ` +
        `${ratio(ours.wall, torch.wall)} | ${ratio(ours.cpu, torch.cpu)} | ${perOp.wall.length ? ratio(perOp.cpu, ours.cpu) : "—"} |`,
    );
  }
  console.log(
    "\n| scale | ours (wall, CPU) | ours, per-op dense path | PyTorch | ours / PyTorch, wall | ours / PyTorch, CPU | fused speed-up, CPU |\n" +
      `|---|---|---|---|---|---|---|\n${rows.join("\n")}`,
  );
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) await runMain(main);
