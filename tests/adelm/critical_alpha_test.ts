import { GaussianWells } from "../../lib/adelm/gaussian_wells.ts";
import { localExecutor } from "../../lib/adelm/executor.ts";
import { criticalAlpha } from "../../lib/adelm/critical_alpha.ts";
import { assert, assertThrowsAsync } from "../assert.ts";
import { WELLS_2D } from "./helpers.ts";
import { zeroTemperatureCriticalPull } from "./known_answers.ts";

Deno.test("adelm: critical alpha matches the zero-temperature pull and does not depend on the start side", async () => {
  const u = new GaussianWells(WELLS_2D), T = 0.02;
  const a = Float32Array.from(u.localMinimum(0).point), c = Float32Array.from(u.localMinimum(2).point);
  const ad = { temperature: T, stepSize: Math.sqrt(0.4 * T), alpha: 1, delta: 0.35, patience: 40, maxSteps: 5000, clamp: null };
  const executor = localExecutor(u, { maxBatch: 16 });
  const truth = zeroTemperatureCriticalPull(u, 0, 2);
  const fromAbove = await criticalAlpha(a, c, executor, { ad, start: 5 / T, factor: 1.05, maxIters: 200, reps: 3, seed: 4 });
  const fromBelow = await criticalAlpha(a, c, executor, { ad, start: 1 / T, factor: 1.05, maxIters: 200, reps: 3, seed: 4 });
  assert(fromAbove.alpha !== null && fromBelow.alpha !== null, "search did not finish");
  const above = fromAbove.alpha * T, below = fromBelow.alpha * T;
  console.log(`critical pull: from above ${above.toFixed(3)}, from below ${below.toFixed(3)}, zero-temperature ${truth.toFixed(3)}`);
  // thermal noise helps a little (lower), the 1.05 grid and stochastic outcomes add ±5–10%
  for (const v of [above, below]) assert(v > 0.85 * truth && v < 1.1 * truth, `critical pull ${v} vs zero-temperature ${truth}`);
  const last = fromAbove.history.at(-1)!, prev = fromAbove.history.at(-2)!;
  assert(prev.success && !last.success && prev.alpha === fromAbove.alpha, "search from above must stop at the first failure");
  assert(fromBelow.history.at(-1)!.success && !fromBelow.history.at(-2)!.success, "search from below must stop at the first success");
  await assertThrowsAsync(() => criticalAlpha(a, c, executor, { ad, start: 1, factor: 1, maxIters: 5, reps: 1, seed: 1 }), "'factor' must be above 1");
});
