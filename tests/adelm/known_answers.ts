/**
 * Shared checks of ADELM outputs against the known answers of the four-well landscape
 * (see helpers.ts): basins, memberships, barrier estimates and tree merge order.
 * @module
 */
import { GaussianWells, type WellSpec } from "../../lib/adelm/gaussian_wells.ts";
import { distance } from "../../lib/adelm/energy.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { readJson } from "../../lib/util/fs.ts";
import { assert, assertEquals } from "../assert.ts";
import { minimumEnergyPath } from "./mep.ts";

/**
 * Stated tolerance of barrier estimates: |estimate − true saddle| ≤ 3%·|true| + max(0.05, dim·T).
 * The error sources are the thermal excess energy on the path (mean ≈ dim·T/2: 0.02 in 2-D at
 * T = 0.02, 0.064 in 64-D at T = 0.002; the path maximum picks up its upper fluctuations, hence
 * twice the mean) and the discrete steps that can hop across the saddle top (the 3%).
 */
export function barrierTolerance(truth: number, thermal: number): number {
  return 0.03 * Math.abs(truth) + Math.max(0.05, thermal);
}

/** Basin-cluster output, as written to basins.json. */
export interface BasinsJson {
  basins: { id: number; representative: number; energy: number; members: { index: number; energy: number; barrier: number | null }[] }[];
  unassigned: number[];
  barrier_matrix: (number | null)[][];
  tree: { merges: { node: number; children: [number, number]; energy: number }[]; roots: number[] };
}

/** Reads the minima of a metastable-search output dir as rows. */
export async function readMinima(dir: string): Promise<{ minima: Float32Array[]; energies: number[] }> {
  const { tensors } = await readSafetensors(`${dir}/minima.safetensors`);
  const n = tensors.minima.shape[0], row = tensors.minima.data.length / n, flat = tensors.minima.data as Float32Array;
  return { minima: Array.from({ length: n }, (_, i) => flat.slice(i * row, (i + 1) * row)), energies: Array.from(tensors.energies.data as Float32Array) };
}

/** Index of the well centre nearest to each state. */
export function nearestWell(wells: WellSpec[], states: Float32Array[]): number[] {
  return states.map((s) => {
    let best = 0;
    wells.forEach((w, k) => {
      if (distance(s, w.center) < distance(s, wells[best].center)) best = k;
    });
    return best;
  });
}

/** Asserts that every well was found, within `radius` of its exact minimum. */
export async function checkMinima(wells: WellSpec[], searchDir: string, radius: number): Promise<void> {
  const u = new GaussianWells(wells);
  const { minima } = await readMinima(searchDir);
  const labels = nearestWell(wells, minima);
  wells.forEach((_, k) => {
    const exact = u.localMinimum(k).point;
    const found = minima.filter((_, i) => labels[i] === k).map((m) => distance(m, exact));
    assert(found.length > 0, `well ${k} was not found by any chain`);
    assert(Math.min(...found) <= radius, `well ${k}: closest minimum is ${Math.min(...found).toFixed(3)} away, expected ≤ ${radius}`);
  });
}

/** Asserts basins {A,B}, {C}, {D}, barrier estimates (AD at `temperature`) and tree order; returns the largest barrier error. */
export async function checkBasins(wells: WellSpec[], searchDir: string, clusterDir: string, temperature: number): Promise<number> {
  const thermal = wells[0].center.length * temperature;
  const tolerance = (truth: number) => barrierTolerance(truth, thermal);
  const u = new GaussianWells(wells);
  const { minima } = await readMinima(searchDir);
  const labels = nearestWell(wells, minima);
  const out = await readJson<BasinsJson>(`${clusterDir}/basins.json`);
  assertEquals(out.unassigned, [], "unassigned minima");
  const group = [0, 0, 1, 2]; // A and B share a basin; C and D are alone
  const basinOfGroup = new Map<number, number>();
  for (const b of out.basins) {
    const groups = new Set(b.members.map((m) => group[labels[m.index]]));
    assert(groups.size === 1, `basin ${b.id} mixes wells ${[...new Set(b.members.map((m) => labels[m.index]))]}`);
    const g = [...groups][0];
    assert(!basinOfGroup.has(g), `well group ${g} is split over basins ${basinOfGroup.get(g)} and ${b.id}`);
    basinOfGroup.set(g, b.id);
  }
  assertEquals(out.basins.length, 3, "number of basins");
  const trueMin = (k: number) => u.localMinimum(k).point;
  const saddle = (i: number, j: number) => minimumEnergyPath(u, trueMin(i), trueMin(j)).saddle;
  let worst = 0;
  const check = (what: string, estimate: number | null, truth: number) => {
    assert(estimate !== null, `${what}: no barrier estimate (AD never succeeded)`);
    const err = Math.abs(estimate - truth);
    worst = Math.max(worst, err);
    assert(err <= tolerance(truth), `${what}: estimate ${estimate.toFixed(4)} vs true saddle ${truth.toFixed(4)} (tolerance ${tolerance(truth).toFixed(3)})`);
  };
  // B joined A's basin across the A–B saddle
  const ab = saddle(0, 1), abBasin = out.basins[basinOfGroup.get(0)!];
  const bMembers = abBasin.members.filter((m) => labels[m.index] === 1);
  assert(bMembers.length > 0 && labels[abBasin.representative] === 0, "basin {A,B} must be represented by A with B members");
  for (const m of bMembers) check(`member ${m.index} (well B)`, m.barrier, ab);
  const [iAB, iC, iD] = [0, 1, 2].map((g) => basinOfGroup.get(g)!);
  const ac = saddle(0, 2), bd = saddle(1, 3);
  check("barrier {A,B}–C", out.barrier_matrix[iAB][iC], ac);
  check("barrier {A,B}–D", out.barrier_matrix[iAB][iD], bd);
  const cd = out.barrier_matrix[iC][iD];
  assert(cd === null || cd >= bd - tolerance(bd), `barrier C–D ${cd} is below the true minimax barrier ${bd}`);
  // tree: {A,B}+C first at the A–C saddle, then D at the B–D saddle
  const merges = out.tree.merges;
  assertEquals(merges.length, 2, "merges");
  assertEquals([...merges[0].children].sort(), [iAB, iC].sort(), "first merge");
  assertEquals(merges[1].children, [merges[0].node, iD], "second merge");
  check("first merge energy", merges[0].energy, ac);
  check("second merge energy", merges[1].energy, bd);
  return worst;
}

/**
 * Critical pull α·T of AD between minima i and j at T → 0. An AD chain climbs from one minimum
 * towards the other along their segment (the minimum energy path for these well pairs; see
 * landscape_test.ts) while the pull exceeds the slope of U, so the critical pull is the smaller,
 * over the two directions, of the steepest slope between the start and the saddle.
 */
export function zeroTemperatureCriticalPull(u: GaussianWells, i: number, j: number): number {
  const a = u.localMinimum(i).point, b = u.localMinimum(j).point, len = Math.hypot(...a.map((v, m) => v - b[m]));
  const n = 4000, e = Array.from({ length: n + 1 }, (_, s) => u.evaluate(a.map((v, m) => v + (s / n) * (b[m] - v))));
  const peak = e.indexOf(Math.max(...e));
  let fromI = 0, fromJ = 0;
  for (let s = 0; s < n; s++) {
    const slope = ((e[s + 1] - e[s]) * n) / len;
    if (s < peak) fromI = Math.max(fromI, slope);
    else fromJ = Math.max(fromJ, -slope);
  }
  return Math.min(fromI, fromJ);
}
