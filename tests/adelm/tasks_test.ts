import metastableSearch from "../../tasks/metastable-search.ts";
import basinCluster from "../../tasks/basin-cluster.ts";
import { createPool } from "../../lib/pool/pool.ts";
import { readJson } from "../../lib/util/fs.ts";
import { assert, assertEquals } from "../assert.ts";
import { makeTestContext } from "../task_context.ts";
import { embedWells, WELLS_2D } from "./helpers.ts";
import { checkBasins, checkMinima } from "./known_answers.ts";
import type { WellSpec } from "../../lib/adelm/gaussian_wells.ts";

/**
 * Runs both tasks; `t` is the temperature (the step keeps the gradient step ε²/(2T) = 0.2). The
 * output dirs live until the test calls `dispose`.
 */
async function runBoth(
  wells: WellSpec[], t: number, init: Record<string, unknown>, chains: number, mode: "pool" | "batch" | "serial", seed: number, jobsPerTask = 1,
  clusterOverrides: { ad?: Record<string, unknown>; barrier?: Record<string, unknown> } = {},
) {
  const pool = createPool({ threads: 2 });
  const contexts: { dispose(): Promise<void> }[] = [];
  const dispose = async () => {
    for (const c of contexts) await c.dispose();
    await pool.close();
  };
  try {
    const energy = { kind: "analytic", wells };
    const eps = Math.sqrt(0.4 * t);
    const search = await makeTestContext(metastableSearch.config.parse({
      energy, chains, init, search: { temperature: t, step_size: eps }, execution: { mode, jobs_per_task: jobsPerTask },
    }), { seed, pool });
    contexts.push(search);
    await metastableSearch.run(search.ctx);
    const cluster = await makeTestContext(basinCluster.config.parse({
      energy,
      ad: { temperature: t, step_size: eps, alpha: 1 / t, delta: 0.35, ...clusterOverrides.ad },
      barrier: { k: 2, ...clusterOverrides.barrier },
      execution: { mode, jobs_per_task: jobsPerTask },
    }), { seed, pool, inputs: [{ id: "search", task: "metastable-search", dir: search.ctx.outDir }] });
    contexts.push(cluster);
    await basinCluster.run(cluster.ctx);
    return { searchDir: search.ctx.outDir, clusterDir: cluster.ctx.outDir, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

Deno.test("adelm tasks: 2-D wells — every well found, 3 basins, barriers within tolerance, tree order", async () => {
  const r = await runBoth(WELLS_2D, 0.02, { kind: "uniform", low: -3, high: 12 }, 24, "pool", 11);
  try {
    await checkMinima(WELLS_2D, r.searchDir, 0.1);
    const worst = await checkBasins(WELLS_2D, r.searchDir, r.clusterDir, 0.02);
    const metrics = await readJson<Record<string, number>>(`${r.clusterDir}/metrics.json`);
    assertEquals(metrics.n_basins, 3);
    assertEquals((metrics as Record<string, unknown>).ad_accept_rate, null, "unadjusted Langevin has no acceptance rate");
    assert(metrics.trials > 0 && metrics.success_rate > 0 && metrics.success_rate <= 1, `metrics ${JSON.stringify(metrics)}`);
    console.log(`2-D: worst barrier error ${worst.toFixed(4)}; trials ${metrics.trials}, success rate ${metrics.success_rate.toFixed(3)}`);
  } finally {
    await r.dispose();
  }
});

Deno.test("adelm tasks: 2-D wells with MH attraction diffusion — the same 3 basins and barriers, acceptance reported", async () => {
  // Barrier trials pull 4× harder; at ε/2 (the default) MH rejects ~70% of their proposals and they stall, at ε/4 ~4%.
  const r = await runBoth(WELLS_2D, 0.02, { kind: "uniform", low: -3, high: 12 }, 24, "pool", 11, 1, {
    ad: { sampler: "mh" },
    barrier: { step_size: Math.sqrt(0.4 * 0.02) / 4 },
  });
  try {
    const worst = await checkBasins(WELLS_2D, r.searchDir, r.clusterDir, 0.02);
    const metrics = await readJson<Record<string, unknown>>(`${r.clusterDir}/metrics.json`);
    assertEquals(metrics.n_basins, 3);
    assertEquals(metrics.ad_sampler, "mh");
    const rate = metrics.ad_accept_rate as number, barrierRate = metrics.barrier_accept_rate as number;
    assert(rate > 0.5 && rate <= 1, `acceptance rate ${rate}`);
    assert(barrierRate > 0.5 && barrierRate <= 1, `barrier acceptance rate ${barrierRate}`);
    const basins = await readJson<{ parameters: { ad: { sampler: string } } }>(`${r.clusterDir}/basins.json`);
    assertEquals(basins.parameters.ad.sampler, "mh");
    console.log(`2-D MH: worst barrier error ${worst.toFixed(4)}; acceptance ${(100 * rate).toFixed(1)}% (barriers ${(100 * barrierRate).toFixed(1)}%)`);
  } finally {
    await r.dispose();
  }
});

Deno.test("adelm tasks: 64-D wells — same answers, and pool, batch and serial give identical basins", async () => {
  const wells = embedWells(WELLS_2D, 64, 5);
  const init = { kind: "gaussian", mean: 0, std: 6 };
  const runs: Awaited<ReturnType<typeof runBoth>>[] = [];
  try {
    for (const mode of ["pool", "batch", "serial"] as const) runs.push(await runBoth(wells, 0.002, init, 32, mode, 23));
    runs.push(await runBoth(wells, 0.002, init, 32, "pool", 23, 5)); // workers keep 5 trials in flight each
    await checkMinima(wells, runs[0].searchDir, 0.5);
    const worst = await checkBasins(wells, runs[0].searchDir, runs[0].clusterDir, 0.002);
    console.log(`64-D: worst barrier error ${worst.toFixed(4)}`);
    const names = ["pool", "batch", "serial", "pool with batching workers"];
    const basins = await Promise.all(runs.map((r) => Deno.readTextFile(`${r.clusterDir}/basins.json`)));
    const minima = await Promise.all(runs.map((r) => Deno.readFile(`${r.searchDir}/minima.safetensors`)));
    for (let i = 1; i < runs.length; i++) {
      assert(basins[0] === basins[i], `${names[0]} and ${names[i]} basins.json differ`);
      assertEquals(Array.from(minima[0]), Array.from(minima[i]), `${names[0]} vs ${names[i]} minima`);
    }
  } finally {
    for (const r of runs) await r.dispose();
  }
});

Deno.test("adelm tasks: barrier trials get the steps to travel between representatives (barrier.max_steps auto)", async () => {
  // 25 steps carry AD ~5 units (drift (ε²/2)·α = 0.2 per step): A and B (2.8 apart) merge, and the
  // three representatives A, C, D (6.5–12.2 apart) need more steps than that to meet.
  const init = { kind: "uniform", low: -3, high: 12 };
  const capped = await runBoth(WELLS_2D, 0.02, init, 24, "batch", 11, 1, { ad: { max_steps: 25 }, barrier: { max_steps: 25 } });
  const auto = await runBoth(WELLS_2D, 0.02, init, 24, "batch", 11, 1, { ad: { max_steps: 25 } });
  try {
    type Doc = { basins: unknown[]; barrier_matrix: (number | null)[][]; parameters: { barrier_ad: { maxSteps: number } } };
    const [c, a] = await Promise.all([readJson<Doc>(`${capped.clusterDir}/basins.json`), readJson<Doc>(`${auto.clusterDir}/basins.json`)]);
    const connected = (d: Doc) => d.barrier_matrix.flatMap((row, i) => row.filter((v, j) => j > i && v !== null)).length;
    assertEquals(c.basins.length, 3);
    assertEquals(a.basins.length, 3);
    assertEquals(connected(c), 0, "25-step barrier trials should be travel-limited");
    assertEquals(connected(a), 3, "auto barrier steps should connect every pair of the 3 representatives");
    assert(a.parameters.barrier_ad.maxSteps > 25 && a.parameters.barrier_ad.maxSteps <= 250, `barrier max steps ${a.parameters.barrier_ad.maxSteps}`);
  } finally {
    await capped.dispose();
    await auto.dispose();
  }
});
