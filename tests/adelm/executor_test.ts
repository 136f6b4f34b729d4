import { createPool } from "../../lib/pool/pool.ts";
import { GaussianWells } from "../../lib/adelm/gaussian_wells.ts";
import { type Executor, localExecutor, poolExecutor, type TrialJob } from "../../lib/adelm/executor.ts";
import type { EnergySource } from "../../lib/adelm/energy_source.ts";
import type { AttractionParams } from "../../lib/adelm/attraction.ts";
import type { SearchParams } from "../../lib/adelm/search.ts";
import { Phase, streamSeed } from "../../lib/adelm/streams.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { embedWells, WELLS_2D } from "./helpers.ts";

const T = 0.002;
const ad: AttractionParams = { temperature: T, stepSize: Math.sqrt(0.4 * T), alpha: 1 / T, delta: 0.35, patience: 40, maxSteps: 3000, clamp: null };
const wells = embedWells(WELLS_2D, 64, 5);
const source: EnergySource = { kind: "analytic", wells: wells.map((w) => ({ center: w.center, weight: w.weight ?? 1, sigma: w.sigma ?? 1 })) };
const centers = wells.map((w) => Float32Array.from(w.center));

/** Trials between every ordered pair of wells, 3 reps: short successes (A–B), long ones and failures (to D). */
function allPairTrials(): TrialJob[] {
  const jobs: TrialJob[] = [];
  for (let rep = 0; rep < 3; rep++) {
    for (let i = 0; i < centers.length; i++) {
      for (let j = 0; j < centers.length; j++) if (i !== j) jobs.push({ start: centers[i], target: centers[j], seed: streamSeed(9, Phase.Barrier, i, j, rep) });
    }
  }
  return jobs;
}

Deno.test("adelm executor: the pool returns the in-thread results, job by job, for trials of very unequal length", async () => {
  const jobs = allPairTrials();
  const localProgress: number[] = [];
  const reference = await localExecutor(new GaussianWells(source.wells)).attract(jobs, ad, (done, total) => {
    assertEquals(total, jobs.length);
    localProgress.push(done);
  });
  assertEquals(localProgress, jobs.map((_, i) => i + 1), "in-thread progress counts every finished trial");
  const steps = reference.map((r) => r.steps);
  assert(Math.max(...steps) > 4 * Math.min(...steps), `the trials should differ in length, got steps ${steps}`);
  assert(reference.some((r) => r.success) && reference.some((r) => !r.success), "the trials should include successes and failures");
  const pool = createPool({ threads: 2 });
  try {
    for (const maxBatch of [1, 3]) {
      const executor = poolExecutor(pool, source, { maxBatch });
      assertEquals(executor.name, "pool-2");
      const progress: number[] = [];
      assertEquals(await executor.attract(jobs, ad, (done) => progress.push(done)), reference, `pool results with ${maxBatch} trial(s) in flight per worker`);
      assert(progress.at(-1) === jobs.length && progress.every((d, i) => i === 0 || d > progress[i - 1]), `pool progress must rise to ${jobs.length}: ${progress}`);
      assertEquals(await executor.attract(jobs.slice(0, 1), ad), reference.slice(0, 1), "a single trial");
      assertEquals(await executor.attract([], ad), [], "no trials");
    }
    const chains = Array.from({ length: 7 }, (_, c) => ({ init: new Random(c).normalArray(64, 0, 4), seed: streamSeed(9, Phase.Search, c) }));
    const search: SearchParams = { temperature: T, stepSize: Math.sqrt(0.4 * T), patience: 30, maxSteps: 2000, traceEvery: 5, clamp: null };
    const expected = await localExecutor(new GaussianWells(source.wells), { maxBatch: 4 }).search(chains, search);
    assertEquals(await poolExecutor(pool, source, { maxBatch: 2 }).search(chains, search), expected, "search chains");
  } finally {
    await pool.close();
  }
});

Deno.test("adelm executor: a failing trial rejects the call with its own error, and the executor keeps working", async () => {
  const jobs = allPairTrials();
  const broken = Float32Array.from(centers[0]);
  broken[3] = NaN;
  const withBroken = [...jobs.slice(0, 20), { start: broken, target: centers[1], seed: 1 }, ...jobs.slice(20)];
  const pool = createPool({ threads: 2 });
  try {
    const executor = poolExecutor(pool, source);
    await assertThrowsAsync(() => executor.attract(withBroken, ad), "Cannot continue attraction diffusion: energy became NaN");
    const reference = await localExecutor(new GaussianWells(source.wells)).attract(jobs.slice(0, 6), ad);
    assertEquals(await executor.attract(jobs.slice(0, 6), ad), reference, "the next call after a failure");
  } finally {
    await pool.close();
  }
});

Deno.test("adelm executor: aborting stops the workers mid-call and rejects with the abort reason", async () => {
  // trials that cannot arrive (pull far below the slopes) and run 3·10⁶ steps (tens of seconds): only the abort ends them soon
  const stuck: AttractionParams = { ...ad, alpha: 0.01 / T, patience: 3e6, maxSteps: 3e6 };
  const jobs = Array.from({ length: 4 }, (_, t) => ({ start: centers[0], target: centers[3], seed: t }));
  const pool = createPool({ threads: 2 });
  try {
    const controller = new AbortController();
    const executor = poolExecutor(pool, source, { signal: controller.signal });
    const t0 = performance.now();
    setTimeout(() => controller.abort(new Error("stop requested by the test")), 300);
    await assertThrowsAsync(() => executor.attract(jobs, stuck), "stop requested by the test");
    await assertThrowsAsync(() => executor.attract(jobs, ad), "stop requested by the test");
    // the workers dropped the stuck trials: a fresh executor on the same pool runs at once
    const fresh: Executor = poolExecutor(pool, source);
    assertEquals((await fresh.attract(jobs.slice(0, 2), ad)).length, 2);
    const ms = performance.now() - t0;
    assert(ms < 10_000, `the workers should stop soon after the abort; abort and a fresh call took ${ms.toFixed(0)} ms`);
  } finally {
    await pool.close();
  }
});

Deno.test("adelm executor: options are checked", async () => {
  const pool = createPool({ threads: 1 });
  try {
    let message = "";
    try {
      poolExecutor(pool, source, { maxBatch: 0 });
    } catch (e) {
      message = (e as Error).message;
    }
    assertEquals(message, "Cannot create the executor: 'max_batch' must be a positive whole number, got 0");
  } finally {
    await pool.close();
  }
});
