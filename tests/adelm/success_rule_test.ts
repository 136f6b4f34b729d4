/**
 * The success rule of ADELM clustering (`ad.success`): `either` direction of AD reaching δ
 * (SPEC §4, the default) against `both`, on a landscape where they disagree and the energy
 * landscape says which is right.
 *
 * Landscape (2-D): A (0,0) narrow (σ 0.4) and deepest; S (1.8,0) shallow on A's flank; P (0,7)
 * and Q (3.4,7) equal and far from both. S escapes to A over a small barrier, P and Q are
 * separated by a larger one, so any grouping consistent with the barriers merges A–S no later
 * than P–Q. The critical pull to climb out of A towards S is the steepness of A's narrow wall,
 * far above the pull that crosses P–Q; so rule `both` splits S off while merging P and Q.
 * @module
 */
import { GaussianWells, type WellSpec } from "../../lib/adelm/gaussian_wells.ts";
import { localExecutor } from "../../lib/adelm/executor.ts";
import { clusterMinima, connectedBarrier } from "../../lib/adelm/cluster.ts";
import type { AttractionResult } from "../../lib/adelm/attraction.ts";
import { assert, assertEquals } from "../assert.ts";
import { minimumEnergyPath } from "./mep.ts";
import { WELLS_2D } from "./helpers.ts";

const STEEP: WellSpec[] = [
  { center: [0, 0], weight: 1, sigma: 0.4 },
  { center: [1.8, 0], weight: 0.6 },
  { center: [0, 7], weight: 0.8 },
  { center: [3.4, 7], weight: 0.8 },
];
const [A, S, P, Q] = [0, 1, 2, 3];
const T = 0.02;
// gradient step ε²/(2T) = 0.1 on U: stable on A's curvature 1/0.4² = 6.25
const ad = (pull: number) => ({ temperature: T, stepSize: Math.sqrt(0.2 * T), alpha: pull / T, delta: 0.35, patience: 40, maxSteps: 5000, clamp: null });

/** Steepest uphill slope of U along the segment from minimum i towards j, up to the highest point. */
function climbPull(u: GaussianWells, i: number, j: number): number {
  const a = u.localMinimum(i).point, b = u.localMinimum(j).point, len = Math.hypot(...a.map((v, m) => v - b[m]));
  const n = 4000, e = Array.from({ length: n + 1 }, (_, s) => u.evaluate(a.map((v, m) => v + (s / n) * (b[m] - v))));
  const peak = e.indexOf(Math.max(...e));
  let steepest = 0;
  for (let s = 0; s < peak; s++) steepest = Math.max(steepest, ((e[s + 1] - e[s]) * n) / len);
  return steepest;
}

function exactMinima(wells: WellSpec[]) {
  const u = new GaussianWells(wells);
  const exact = wells.map((_, k) => u.localMinimum(k));
  return { u, minima: exact.map((m) => Float32Array.from(m.point)), energies: exact.map((m) => m.energy) };
}

Deno.test("adelm success rule: the landscape — S's escape barrier is below P–Q's, but climbing out of A is steeper than crossing P–Q", () => {
  const { u, energies } = exactMinima(STEEP);
  const saddle = (i: number, j: number) => minimumEnergyPath(u, u.localMinimum(i).point, u.localMinimum(j).point).saddle;
  const escapeS = saddle(A, S) - energies[S], escapePQ = saddle(P, Q) - energies[Q];
  assert(escapeS < 0.5 * escapePQ, `escape barriers: S→A ${escapeS.toFixed(3)}, Q→P ${escapePQ.toFixed(3)}`);
  assert(saddle(A, S) < saddle(P, Q), `saddle energies: A–S ${saddle(A, S).toFixed(3)}, P–Q ${saddle(P, Q).toFixed(3)}`);
  // zero-temperature critical pulls per direction: either = the escape, both = the harder climb
  const down = climbPull(u, S, A), up = climbPull(u, A, S), pq = climbPull(u, P, Q);
  console.log(`pulls: S→A ${down.toFixed(3)}, A→S ${up.toFixed(3)}, P→Q ${pq.toFixed(3)}; escape barriers S ${escapeS.toFixed(3)}, P–Q ${escapePQ.toFixed(3)}`);
  assert(down < 0.7 && pq > 0.6 && pq < 0.8 && up > 1.3, "the pulls that make the rules disagree at pull 1");
});

Deno.test("adelm success rule: at pull 1, 'either' merges {A,S} and {P,Q} as the barriers say; 'both' keeps S apart yet merges P–Q", async () => {
  const { u, minima, energies } = exactMinima(STEEP);
  const executor = localExecutor(u, { maxBatch: 8 });
  const options = { ad: ad(1), maxCandidates: 10, reps: 3, maxBasins: 10, seed: 7 };
  const groups = (assignment: number[]) => assignment.map((b) => assignment.flatMap((c, k) => (c === b ? [k] : [])).join(""));
  const either = await clusterMinima(minima, energies, executor, { ...options, success: "either" });
  assertEquals(groups(either.assignment), ["01", "01", "23", "23"], "either: {A,S} {P,Q}");
  const both = await clusterMinima(minima, energies, executor, { ...options, success: "both" });
  assertEquals(groups(both.assignment), ["0", "1", "23", "23"], "both: {A} {S} {P,Q}");
  const omitted = await clusterMinima(minima, energies, executor, options);
  assertEquals(omitted.assignment, either.assignment, "either is the default");
  // the barrier of S's membership is the A–S saddle from its successful trials
  const sMember = either.basins[either.assignment[S]].members.find((m) => m.index === S)!;
  const truth = minimumEnergyPath(u, u.localMinimum(A).point, u.localMinimum(S).point).saddle;
  assert(Math.abs(sMember.barrier! - truth) < 0.1, `S's barrier ${sMember.barrier} vs saddle ${truth}`);
});

Deno.test("adelm success rule: on the four symmetric-walled wells both rules give {A,B}, {C}, {D}", async () => {
  const { u, minima, energies } = exactMinima(WELLS_2D);
  const executor = localExecutor(u, { maxBatch: 8 });
  for (const success of ["either", "both"] as const) {
    const r = await clusterMinima(minima, energies, executor, { ad: ad(1), success, maxCandidates: 10, reps: 3, maxBasins: 10, seed: 3 });
    assertEquals(r.assignment, [0, 0, 2, 1], `rule ${success}`);
  }
});

Deno.test("adelm success rule: connectedBarrier needs one direction for 'either', each direction for 'both'", () => {
  const ok = (barrier: number): AttractionResult => ({ success: true, barrier, steps: 1, closest: 0, acceptRate: null });
  assertEquals(connectedBarrier([[ok(3)], []], "either"), 3);
  assertEquals(connectedBarrier([[ok(3)], []], "both"), null);
  assertEquals(connectedBarrier([[ok(3), ok(2.5)], [ok(2.8)]], "both"), 2.5);
  assertEquals(connectedBarrier([[], []], "either"), null);
});
