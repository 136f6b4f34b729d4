import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { runTrainingLoop, STATE_FILE, type LoopOptions } from "../../lib/train/loop.ts";
import { parseMetricsJsonl } from "../../lib/artifacts/metrics_log.ts";
import { exists } from "../../lib/util/fs.ts";
import { FakeProblem } from "./fake_problem.ts";

const quiet = { info() {}, warn() {}, debug() {} };

async function dirs() {
  const root = await Deno.makeTempDir();
  return { root, resumeDir: `${root}/resume`, outDir: `${root}/out` };
}

function options(d: { resumeDir: string; outDir: string }, extra: Partial<LoopOptions> = {}): LoopOptions {
  return {
    numIters: 12, logFreq: 5, lrInit: 0.5, lrMin: 0.1, lrDecay: 0.8, summaryWindow: 2000, seed: 9,
    config: { a: 1 }, resumeDir: d.resumeDir, outDir: d.outDir, log: quiet, progress: { update() {} }, ...extra,
  };
}

async function readRun(outDir: string) {
  const records = parseMetricsJsonl(await Deno.readTextFile(`${outDir}/metrics.jsonl`));
  return {
    series: records.map(({ iter, d_t, r_t, lr }) => ({ iter, d_t, r_t, lr })),
    final: await Deno.readTextFile(`${outDir}/final.txt`),
    files: [...Deno.readDirSync(outDir)].map((e) => e.name).sort(),
  };
}

Deno.test("loop: lr decays to lr_min, logs at 1, every log_freq and the end", async () => {
  const d = await dirs();
  try {
    const problem = new FakeProblem(9);
    const summary = await runTrainingLoop(problem, options(d));
    assertEquals(problem.logged, [1, 5, 10, 12]);
    const run = await readRun(d.outDir);
    assertEquals(run.series.length, 12);
    assert(Math.abs(run.series[0].lr - 0.5) < 1e-12 && Math.abs(run.series[1].lr - 0.4) < 1e-12, "decay");
    assert(Math.abs(run.series[11].lr - 0.1) < 1e-12, "floored at lr_min");
    assertEquals(run.files, ["final.txt", "logged_1.txt", "logged_10.txt", "logged_12.txt", "logged_5.txt", "metrics.jsonl"]);
    assert(summary.summary_iters === 12 && Number.isFinite(summary.d_t_mean), "summary");
  } finally {
    await Deno.remove(d.root, { recursive: true });
  }
});

Deno.test("loop: a run killed after iteration 7 resumes from its checkpoint and equals an uninterrupted run", async () => {
  const a = await dirs(), b = await dirs();
  try {
    await runTrainingLoop(new FakeProblem(9), options(a));
    const reference = await readRun(a.outDir);

    const killed = new FakeProblem(9);
    await assertThrowsAsync(() => runTrainingLoop(killed, options(b, {
      afterIteration: (i) => {
        if (i === 7) throw new Error("simulated kill");
      },
    })), "simulated kill");
    assert(await exists(`${b.resumeDir}/${STATE_FILE}`), "checkpoint kept");
    // Iterations 6 and 7 ran after the last checkpoint (5): they must be recomputed, not duplicated.
    const resumedProblem = new FakeProblem(9);
    const summary = await runTrainingLoop(resumedProblem, options(b));
    assertEquals(resumedProblem.logged, [10, 12]);
    assertEquals(summary.resumed_from, 5);
    const resumed = await readRun(b.outDir);
    assertEquals(resumed.series, reference.series);
    assertEquals(resumed.final, reference.final);
    assertEquals(resumed.files, reference.files);
  } finally {
    await Deno.remove(a.root, { recursive: true });
    await Deno.remove(b.root, { recursive: true });
  }
});

Deno.test("loop: non-finite d_t stops with the iteration and keeps the last good checkpoint", async () => {
  const d = await dirs();
  try {
    await assertThrowsAsync(() => runTrainingLoop(new FakeProblem(9, 8), options(d)), "Training diverged at iteration 8", "d_t = NaN", "iteration 5");
    assert(await exists(`${d.resumeDir}/${STATE_FILE}`), "last good checkpoint kept");
    assert(!(await exists(d.outDir)), "nothing written to outDir");
  } finally {
    await Deno.remove(d.root, { recursive: true });
  }
});

Deno.test("loop: resuming with a different config is refused", async () => {
  const d = await dirs();
  try {
    await assertThrowsAsync(() => runTrainingLoop(new FakeProblem(9), options(d, { afterIteration: (i) => { if (i === 5) throw new Error("kill"); } })), "kill");
    await assertThrowsAsync(() => runTrainingLoop(new FakeProblem(9), options(d, { config: { a: 2 } })), "different config");
  } finally {
    await Deno.remove(d.root, { recursive: true });
  }
});
