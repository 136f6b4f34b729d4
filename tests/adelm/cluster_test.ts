import { GaussianWells } from "../../lib/adelm/gaussian_wells.ts";
import { localExecutor } from "../../lib/adelm/executor.ts";
import { clusterMinima } from "../../lib/adelm/cluster.ts";
import { assertEquals, assertThrowsAsync } from "../assert.ts";
import { WELLS_2D } from "./helpers.ts";

const T = 0.02;
const ad = { temperature: T, stepSize: Math.sqrt(0.4 * T), alpha: 1 / T, delta: 0.35, patience: 40, maxSteps: 5000, clamp: null };

/** Exact minima of the four wells, each listed twice, in a scrambled order. */
function minimaTwice() {
  const u = new GaussianWells(WELLS_2D);
  const exact = WELLS_2D.map((_, k) => u.localMinimum(k));
  const order = [3, 1, 2, 0, 2, 3, 0, 1];
  return { u, order, minima: order.map((k) => Float32Array.from(exact[k].point)), energies: order.map((k) => exact[k].energy) };
}

Deno.test("adelm: basins are founded lowest energy first, duplicates join them, and the cap leaves the rest unassigned", async () => {
  const { u, order, minima, energies } = minimaTwice();
  const executor = localExecutor(u, { maxBatch: 8 });
  const full = await clusterMinima(minima, energies, executor, { ad, maxCandidates: 10, reps: 2, maxBasins: 10, seed: 3 });
  // wells by depth: A (0) < B (1) < D (3) < C (2); A founds basin 0, D basin 1, C basin 2; B joins A
  const basinOfWell = [0, 0, 2, 1];
  assertEquals(full.assignment, order.map((k) => basinOfWell[k]), "assignment");
  assertEquals(full.basins.map((b) => order[b.representative]), [0, 3, 2], "representatives are the founding (lowest) minima");
  const capped = await clusterMinima(minima, energies, executor, { ad, maxCandidates: 10, reps: 2, maxBasins: 2, seed: 3 });
  assertEquals(capped.basins.length, 2);
  assertEquals(capped.unassigned.sort(), order.flatMap((k, i) => (k === 2 ? [i] : [])), "both C minima stay unassigned");
  await assertThrowsAsync(() => clusterMinima(minima, energies, executor, { ad, maxCandidates: 0, reps: 1, maxBasins: 1, seed: 1 }), "'max_candidates' must be a positive whole number, got 0");
});
