/**
 * Test fixtures for ADELM: a four-well landscape with known answers (in 2-D and rotated into
 * 64-D). Tests that run the tasks build their contexts with `tests/task_context.ts`.
 *
 * Landscape (σ = 1): A (0,0) w 1, B (2.8,0) w 0.7, C (0,6.5) w 0.5, D (10.3,0) w 0.8.
 * A–B are separated by a low saddle (0.48, pull needed to cross ≈ 0.17), A–C by 4.93 (≈ 2.29),
 * B–D by 6.63 (≈ 2.93). Clustering with pull α·T = 1 gives basins {A,B}, {C}, {D}; the tree
 * merges {A,B}+C at 4.93, then D at 6.63.
 * @module
 */
import type { WellSpec } from "../../lib/adelm/gaussian_wells.ts";
import { Random } from "../../lib/util/random.ts";

/** The 2-D wells. */
export const WELLS_2D: WellSpec[] = [
  { center: [0, 0], weight: 1 },
  { center: [2.8, 0], weight: 0.7 },
  { center: [0, 6.5], weight: 0.5 },
  { center: [10.3, 0], weight: 0.8 },
];

/** The same wells rotated by a random orthogonal map into `dim` dimensions (distances kept). */
export function embedWells(wells: WellSpec[], dim: number, seed: number): WellSpec[] {
  const rng = new Random(seed);
  // two orthonormal directions by Gram–Schmidt of Gaussian vectors
  const u = Array.from(rng.normalArray(dim), Number), v = Array.from(rng.normalArray(dim), Number);
  const norm = (x: number[]) => Math.hypot(...x);
  const nu = norm(u);
  for (let i = 0; i < dim; i++) u[i] /= nu;
  const dot = u.reduce((s, ui, i) => s + ui * v[i], 0);
  for (let i = 0; i < dim; i++) v[i] -= dot * u[i];
  const nv = norm(v);
  for (let i = 0; i < dim; i++) v[i] /= nv;
  return wells.map((w) => ({ ...w, center: u.map((ui, i) => w.center[0] * ui + w.center[1] * v[i]) }));
}
