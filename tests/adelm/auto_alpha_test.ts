import { GaussianWells } from "../../lib/adelm/gaussian_wells.ts";
import { localExecutor } from "../../lib/adelm/executor.ts";
import { calibrationPairs, chooseAlpha, criticalAlphas, distinctMinima, explainChoice, landscapeFloor, type PairCritical, spectrumCurve } from "../../lib/adelm/auto_alpha.ts";
import metastableSearch from "../../tasks/metastable-search.ts";
import basinCluster from "../../tasks/basin-cluster.ts";
import { createPool } from "../../lib/pool/pool.ts";
import { readJson } from "../../lib/util/fs.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTestContext } from "../task_context.ts";
import { embedWells, WELLS_2D } from "./helpers.ts";
import type { WellSpec } from "../../lib/adelm/gaussian_wells.ts";
import { checkBasins, checkMinima, zeroTemperatureCriticalPull } from "./known_answers.ts";

const gap = (low: number, high: number) => ({ kind: "gap" as const, low, high, minGap: 2, q: 0.5 });

Deno.test("adelm auto alpha: the gap rule picks the widest log gap inside the central range, quantile interpolates", () => {
  // two clusters of critical values: the gap between 1.2 and 10 wins
  assertClose([chooseAlpha([1, 1.1, 1.2, 10, 11], gap(0.2, 0.8)).alpha], [Math.sqrt(12)], 1e-9, "gap midpoint");
  // the widest gap (10 → 1000) would leave 80% below, outside [0.2, 0.6]: the next best inside wins
  const inRange = chooseAlpha([1, 2, 2.1, 10, 1000], gap(0.2, 0.6));
  assertClose([inRange.alpha, inRange.gapRatio!], [Math.sqrt(21), 10 / 2.1], 1e-9, "gap within range");
  assertEquals(inRange.fractionBelow, 0.6);
  // pairs that never connected count as +∞: they shift the fractions but are never a gap end
  const withInf = chooseAlpha([1, 4, Infinity, Infinity], gap(0.2, 0.8));
  assertClose([withInf.alpha], [2], 1e-12, "gap with unconnected pairs");
  assertEquals(withInf.fractionBelow, 0.25);
  assertClose([chooseAlpha([1, 100, 10], { kind: "quantile", q: 0.25 }).alpha], [Math.sqrt(10)], 1e-9, "quantile in log space");
  // no step reaches ×2 (a continuum): the gap rule falls back to the median, geometric between the middle two
  const continuum = chooseAlpha([1, 1.3, 1.6, 2, 2.5, 3.2], gap(0.2, 0.8));
  assertEquals(continuum.used, "quantile");
  assertClose([continuum.alpha, continuum.gapRatio!], [Math.sqrt(1.6 * 2), 2 / 1.6], 1e-9, "fallback to the median (widest in-range step ×1.25)");
  assertEquals(chooseAlpha([1, 1.1, 1.2, 10, 11], gap(0.2, 0.8)).used, "gap");
  let message = "";
  try {
    chooseAlpha([Infinity, Infinity], gap(0.2, 0.8));
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("no calibration pair connected"), `unexpected error: ${message}`);
});

Deno.test("adelm auto alpha: the spectrum curve lists the sorted critical values with their steps, and the reason names the rule", () => {
  const pair = (i: number, alpha: number | null): PairCritical => ({ pair: [i, i + 1], distance: i, alpha, below: 0, history: [] });
  const pairs = [pair(0, 2.5), pair(1, 1), pair(2, null), pair(3, Infinity), pair(4, 1.6), pair(5, 2)];
  // drift (ε²/2) = 0.005 per unit α, 100 steps: pair i (distance i) needs α ≥ i/0.5 to arrive
  const curve = spectrumCurve(pairs, gap(0.2, 0.6), { temperature: 0.01, stepSize: 0.1, maxSteps: 100 }, 1.05);
  assertEquals(curve.map((p) => p.alpha), [1, 1.6, 2, 2.5, Infinity], "sorted, unresolved (null) dropped, never-connected last");
  assertEquals(curve.map((p) => p.fraction_below), [0.2, 0.4, 0.6, 0.8, 1]);
  assertEquals(curve.map((p) => p.in_range), [true, true, true, false, false]);
  assertClose(curve.slice(0, 3).map((p) => p.ratio_to_next!), [1.6, 1.25, 1.25], 1e-12, "steps");
  assertEquals(curve.slice(3).map((p) => p.ratio_to_next), [null, null], "no step to or from +∞");
  assertClose([curve[0].pull], [0.01], 1e-12, "pull α·T");
  assertClose(curve.map((p) => p.travel_alpha), [2, 8, 10, 0, 6], 1e-9, "travel α = distance / (max_steps·ε²/2)");
  // travel-limited: the critical α within two sweep steps (×1.05²) of the α needed to arrive in max_steps
  const limited = spectrumCurve([pair(10, 21), pair(10, 12), pair(3, 5)], gap(0, 1), { temperature: 1, stepSize: 0.1, maxSteps: 100 }, 1.05);
  assertEquals(limited.map((p) => [p.alpha, p.travel_limited]), [[5, false], [12, false], [21, true]]);
  const rule = gap(0.2, 0.8), chosen = chooseAlpha([1, 1.6, 2, 2.5, Infinity], rule);
  const reason = explainChoice(chosen, rule);
  assert(reason.includes("only ×1.60 < min_gap ×2") && reason.includes("q = 0.5 quantile"), reason);
  const clear = explainChoice(chooseAlpha([1, 1.1, 10, 11], rule), rule);
  assert(clear.includes("widest gap") && clear.includes("×9.09"), clear);
});

Deno.test("adelm auto alpha: duplicates of a well are dropped and each distinct minimum is paired with its nearest", () => {
  const u = new GaussianWells(WELLS_2D);
  const exact = WELLS_2D.map((_, k) => u.localMinimum(k));
  const order = [3, 1, 2, 0, 2, 3, 0, 1]; // each well twice, the copies 0.1 apart
  const minima = order.map((k, i) => Float32Array.from(exact[k].point.map((v, m) => v + (m === 0 && i >= 4 ? 0.1 : 0))));
  const energies = order.map((k, i) => exact[k].energy + (i >= 4 ? 1e-3 : 0));
  const distinct = distinctMinima(minima, energies, 1.4);
  assertEquals(distinct.map((i) => order[i]), [0, 3, 1, 2], "one minimum per well, lowest energy first (A < D < B < C)");
  const pairs = calibrationPairs(minima, distinct, 10).map((p) => p.pair.map((i) => order[i]).sort().join("-"));
  assertEquals(pairs, ["0-1", "1-3", "0-2"], "A–B, B–D, A–C");
  assertEquals(calibrationPairs(minima, distinct, 2).length, 2, "capped at maxPairs");
});

Deno.test("adelm auto alpha: critical α per pair matches the zero-temperature pull, all pairs in one sweep", async () => {
  const u = new GaussianWells(WELLS_2D), T = 0.02;
  const minima = WELLS_2D.map((_, k) => Float32Array.from(u.localMinimum(k).point));
  const pairs: { pair: [number, number]; distance: number }[] = [[0, 1], [0, 2], [1, 3]].map(([i, j]) => ({ pair: [i, j], distance: 0 }));
  const ad = { temperature: T, stepSize: Math.sqrt(0.4 * T), alpha: 1, delta: 0.35, patience: 40, maxSteps: 5000, clamp: null };
  const result = await criticalAlphas(minima, pairs, localExecutor(u, { maxBatch: 16 }), { ad, start: 1 / T, factor: 1.05, expand: 4, maxRounds: 100, reps: 3, seed: 4 });
  // A–C and B–D fail at the start (pull 1), so the sweep first rises to pull 4 for all three
  assertEquals(result.pairs.map((p) => p.history[0].success), [true, false, false], "outcomes at the start α");
  for (const p of result.pairs) {
    const truth = zeroTemperatureCriticalPull(u, ...p.pair);
    assert(p.alpha !== null && Number.isFinite(p.alpha), `pair ${p.pair}: unresolved`);
    const pull = p.alpha * T;
    console.log(`pair ${p.pair}: critical pull ${pull.toFixed(3)} vs zero-temperature ${truth.toFixed(3)} in ${p.history.length} rounds`);
    // thermal noise lowers the pull needed (a lot for the low A–B saddle, 0.48 above A at T = 0.02);
    // the 1.05 resolution and stochastic outcomes add ±5–10%
    const lowest = p.pair[1] === 1 ? 0.5 : 0.85;
    assert(pull > lowest * truth && pull < 1.1 * truth, `pair ${p.pair}: critical pull ${pull} vs zero-temperature ${truth}`);
    assert(p.below > 0 && p.alpha / p.below <= 1.05 + 1e-9, `pair ${p.pair}: bracket [${p.below}, ${p.alpha}] wider than 1.05`);
    const last = p.history.at(-1)!, before = p.history.at(-2)!;
    assert(!last.success && before.success && before.alpha === p.alpha, `pair ${p.pair}: the sweep must stop at its first failure`);
  }
  await assertThrowsAsync(
    () => criticalAlphas(minima, pairs, localExecutor(u), { ad, start: 1, factor: 1.05, expand: 1, maxRounds: 3, reps: 1, seed: 1 }),
    "'expand' must be above 1",
  );
});

Deno.test("adelm auto alpha: a pair the landscape carries stops at the floor, leaving rounds to refine the others", async () => {
  const u = new GaussianWells(WELLS_2D), T = 0.02;
  const wells = WELLS_2D.map((_, k) => Float32Array.from(u.localMinimum(k).point));
  // minimum 4 is no minimum: a point on A's slope, 1.2 from its centre, from which AD rolls into A unaided
  const minima = [...wells, Float32Array.from([-1.2, 0])];
  const pairs: { pair: [number, number]; distance: number }[] = [[0, 4], [0, 2]].map(([i, j]) => ({ pair: [i, j] as [number, number], distance: 1 }));
  const ad = { temperature: T, stepSize: Math.sqrt(0.4 * T), alpha: 1, delta: 0.35, patience: 40, maxSteps: 5000, clamp: null };
  const minAlpha = landscapeFloor(ad);
  const options = { ad, start: 1 / T, factor: 1.05, expand: 4, maxRounds: 40, reps: 1, seed: 4 };
  const floored = await criticalAlphas(minima, pairs, localExecutor(u, { maxBatch: 16 }), { ...options, minAlpha });
  const [carried, real] = floored.pairs;
  assert(carried.alpha !== null && carried.alpha <= minAlpha && carried.below === 0, `the slope point connects below the floor ${minAlpha}: ${JSON.stringify(carried)}`);
  assert(carried.history.length <= 12, `the carried pair took ${carried.history.length} rounds`);
  assert(real.below > 0 && real.alpha! / real.below <= 1.05 + 1e-9, `A–C is refined to ×1.05: [${real.below}, ${real.alpha}]`);
  const curve = spectrumCurve(floored.pairs, gap(0, 1), ad, 1.05, minAlpha);
  assertEquals(curve.map((p) => p.landscape_carried), [true, false]);
  // Without the floor the carried pair halves α for every remaining round and A–C is never refined.
  const unfloored = await criticalAlphas(minima, pairs, localExecutor(u, { maxBatch: 16 }), options);
  assert(unfloored.pairs[1].alpha! / unfloored.pairs[1].below > 1.05 + 1e-9, "without a floor A–C should stay a coarse ×4 bracket (the bug this guards)");
});

Deno.test("adelm auto alpha: a start far above the critical values is bracketed in a few ×expand rounds; an unreachable target stops the up phase at maxAlpha", async () => {
  const u = new GaussianWells(WELLS_2D), T = 0.02;
  // 4, 5: points far out on A's wall: next to them one gradient step, 0.2·|∇U| ≈ 1.2, exceeds δ, so no α lets AD settle on either
  const minima = [...WELLS_2D.map((_, k) => Float32Array.from(u.localMinimum(k).point)), Float32Array.from([0, -6]), Float32Array.from([-6, 0])];
  const pairs: { pair: [number, number]; distance: number }[] = [[0, 1], [0, 2], [1, 3], [4, 5]].map(([i, j]) => ({ pair: [i, j], distance: 0 }));
  const ad = { temperature: T, stepSize: Math.sqrt(0.4 * T), alpha: 1, delta: 0.35, patience: 40, maxSteps: 5000, clamp: null };
  const maxAlpha = 2 * 10.3 / (ad.stepSize ** 2 / 2);
  const result = await criticalAlphas(minima, pairs, localExecutor(u, { maxBatch: 16 }), { ad, start: 1000 / T, factor: 1.05, expand: 4, maxRounds: 100, reps: 3, seed: 4, maxAlpha });
  for (const p of result.pairs.slice(0, 3)) {
    const truth = zeroTemperatureCriticalPull(u, ...p.pair), pull = p.alpha! * T;
    assert(p.below > 0 && p.alpha! / p.below <= 1.05 + 1e-9, `pair ${p.pair}: bracket [${p.below}, ${p.alpha}] wider than 1.05`);
    assert(pull > (p.pair[1] === 1 ? 0.5 : 0.85) * truth && pull < 1.1 * truth, `pair ${p.pair}: critical pull ${pull} vs zero-temperature ${truth}`);
  }
  const unreachable = result.pairs[3];
  assertEquals(unreachable.alpha, Infinity, "never connects");
  assert(unreachable.history.length <= 2 && unreachable.below === maxAlpha, `the up phase stops at maxAlpha: ${JSON.stringify(unreachable.history.map((h) => h.alpha))}`);
});

/** A metastable search over analytic wells, as the task tests run it. */
interface WellsSearch {
  wells: WellSpec[];
  /** Temperature; the step keeps the gradient step ε²/(2T) = 0.2. */
  t: number;
  chains: number;
  init: Record<string, unknown>;
  seed: number;
  threads: number;
}

/** The 2-D wells' search of the task tests. */
const wells2d: WellsSearch = { wells: WELLS_2D, t: 0.02, chains: 24, init: { kind: "uniform", low: -3, high: 12 }, seed: 11, threads: 2 };

/**
 * Runs `body` with a worker pool and a finished metastable search over `spec`'s wells (energy, T
 * and ε passed along); task contexts pushed onto `contexts` are disposed afterwards, and the pool closed.
 */
async function withWellsSearch(
  spec: WellsSearch,
  body: (run: {
    search: Awaited<ReturnType<typeof makeTestContext>>;
    energy: { kind: string; wells: WellSpec[] };
    eps: number;
    pool: ReturnType<typeof createPool>;
    contexts: { dispose(): Promise<void> }[];
  }) => Promise<void>,
) {
  const pool = createPool({ threads: spec.threads });
  const contexts: { dispose(): Promise<void> }[] = [];
  try {
    const energy = { kind: "analytic", wells: spec.wells }, eps = Math.sqrt(0.4 * spec.t);
    const search = await makeTestContext(metastableSearch.config.parse({
      energy, chains: spec.chains, init: spec.init, search: { temperature: spec.t, step_size: eps }, execution: { mode: "batch" },
    }), { seed: spec.seed, pool });
    contexts.push(search);
    await metastableSearch.run(search.ctx);
    await body({ search, energy, eps, pool, contexts });
  } finally {
    for (const c of contexts) await c.dispose();
    await pool.close();
  }
}

Deno.test("adelm auto alpha: basin-cluster with alpha auto gives the known basins, barriers and tree on the 2-D wells", () =>
  withWellsSearch(wells2d, async ({ search, energy, eps, pool, contexts }) => {
    const t = wells2d.t;
    await checkMinima(WELLS_2D, search.ctx.outDir, 0.1);
    const inputs = [{ id: "search", task: "metastable-search", dir: search.ctx.outDir }];
    const config = basinCluster.config.parse({
      energy, ad: { temperature: t, step_size: eps, alpha: "auto", delta: 0.35 }, auto_alpha: { reps: 2 }, barrier: { k: 2 }, execution: { mode: "batch" },
    });
    const cluster = await makeTestContext(config, { seed: 11, pool, inputs });
    contexts.push(cluster);
    await basinCluster.run(cluster.ctx);
    const worst = await checkBasins(WELLS_2D, search.ctx.outDir, cluster.ctx.outDir, t);
    const metrics = await readJson<Record<string, number>>(`${cluster.ctx.outDir}/metrics.json`);
    // critical pulls: A–B ≈ 0.17, A–C ≈ 2.3, B–D ≈ 2.9; the widest gap is between A–B and the others
    assertEquals(metrics.auto_alpha_pairs, 3);
    assertEquals((metrics as Record<string, unknown>).auto_alpha_rule_used, "gap");
    assert(metrics.pull > 0.3 && metrics.pull < 1.5, `auto pull ${metrics.pull} should sit between 0.17 and 2.3`);
    // the α sweep curve in basins.json: sorted critical values, the gap after A–B, and the rule's reason
    const saved = await readJson<{ parameters: { auto_alpha: { curve: { pair: number[]; alpha: number; ratio_to_next: number | null }[]; reason: string; gap_ratio: number } } }>(`${cluster.ctx.outDir}/basins.json`);
    const curve = saved.parameters.auto_alpha.curve;
    assertEquals(curve.length, 3);
    assert(curve[0].alpha < curve[1].alpha && curve[1].alpha <= curve[2].alpha, `curve not sorted: ${curve.map((p) => p.alpha)}`);
    assertClose([curve[0].ratio_to_next!], [saved.parameters.auto_alpha.gap_ratio], 1e-9, "the chosen gap is the first step");
    assert(saved.parameters.auto_alpha.reason.includes("(rule gap)"), saved.parameters.auto_alpha.reason);
    console.log(`2-D auto α: pull ${metrics.pull.toFixed(3)}, gap ×${metrics.auto_alpha_gap_ratio.toFixed(2)}, ${metrics.trials_auto_alpha} calibration trials; worst barrier error ${worst.toFixed(4)}`);
    const bad = await makeTestContext(basinCluster.config.parse({ energy, ad: { alpha: "auto" }, critical_alpha: { enabled: true } }), { seed: 1, pool, inputs });
    contexts.push(bad);
    await assertThrowsAsync(() => basinCluster.run(bad.ctx), "\"auto\" and 'critical_alpha.enabled' both choose α");
  }));

Deno.test("adelm auto alpha: the same known answers in 64-D (wells under a random rotation)", () => {
  const spec: WellsSearch = { wells: embedWells(WELLS_2D, 64, 5), t: 0.002, chains: 32, init: { kind: "gaussian", mean: 0, std: 6 }, seed: 23, threads: 1 };
  return withWellsSearch(spec, async ({ search, energy, eps, pool, contexts }) => {
    const { wells, t } = spec;
    await checkMinima(wells, search.ctx.outDir, 0.5);
    const cluster = await makeTestContext(basinCluster.config.parse({
      energy, ad: { temperature: t, step_size: eps, alpha: "auto", delta: 0.35 }, auto_alpha: { reps: 2 }, barrier: { k: 2 }, execution: { mode: "batch" },
    }), { seed: 23, pool, inputs: [{ id: "search", task: "metastable-search", dir: search.ctx.outDir }] });
    contexts.push(cluster);
    await basinCluster.run(cluster.ctx);
    const worst = await checkBasins(wells, search.ctx.outDir, cluster.ctx.outDir, t);
    const metrics = await readJson<Record<string, number>>(`${cluster.ctx.outDir}/metrics.json`);
    assertEquals((metrics as Record<string, unknown>).auto_alpha_rule_used, "gap");
    console.log(`64-D auto α: pull ${metrics.pull.toFixed(3)}, gap ×${metrics.auto_alpha_gap_ratio.toFixed(2)}; worst barrier error ${worst.toFixed(4)}`);
  });
});

Deno.test("adelm auto alpha: travel-limited pairs get a warning naming the max_steps that frees them, and that value does", () =>
  withWellsSearch(wells2d, async ({ search, energy, eps, pool, contexts }) => {
    const t = wells2d.t;
    const inputs = [{ id: "search", task: "metastable-search", dir: search.ctx.outDir }];
    const cluster = async (maxSteps: number) => {
      const config = basinCluster.config.parse({
        energy, ad: { temperature: t, step_size: eps, alpha: "auto", delta: 0.35, max_steps: maxSteps }, barrier: { k: 2 }, execution: { mode: "batch" },
      });
      const run = await makeTestContext(config, { seed: 11, pool, inputs });
      contexts.push(run);
      await basinCluster.run(run.ctx);
      const metrics = await readJson<Record<string, number>>(`${run.ctx.outDir}/metrics.json`);
      return { limited: metrics.auto_alpha_travel_limited, warning: run.logs.find((l) => l.startsWith("warn") && l.includes("calibration pairs connected as soon as")) };
    };
    // 40 steps: AD can only cross the 5–11 units between wells at pulls far above their barriers' slopes
    // (with the streams of seed 11, 40 steps leave one pair travel-limited; 50 and more leave none).
    const shortSteps = 40;
    const short = await cluster(shortSteps);
    assert(short.limited > 0 && short.warning !== undefined, `expected travel-limited pairs and a warning: ${JSON.stringify(short)}`);
    const suggested = Number(new RegExp(`'ad\\.max_steps' ≥ (\\d+) \\(now ${shortSteps}\\)`).exec(short.warning!)?.[1]);
    assert(suggested > shortSteps, `no suggested max_steps in: ${short.warning}`);
    const freed = await cluster(suggested);
    console.log(`travel limit: ${short.limited} limited pairs at max_steps ${shortSteps}, suggested ${suggested}, then ${freed.limited}`);
    assertEquals(freed.limited, 0, `still travel-limited at the suggested max_steps ${suggested}`);
    assertEquals(freed.warning, undefined);
  }));
