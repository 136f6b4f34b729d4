import { assert, assertClose } from "../assert.ts";
import { createPool } from "../../lib/pool/pool.ts";
import { kdeAt, kdeKernel, kdeOnGrid } from "../../lib/train/kde.ts";
import { gridAxis } from "../../lib/data/toy.ts";
import { kdeRows } from "../../lib/train/kde_worker.ts";
import { Random } from "../../lib/util/random.ts";

function correlatedPoints(n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const p = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    const u = rng.normal(), v = rng.normal();
    p[2 * k] = 0.8 * u + 0.3;
    p[2 * k + 1] = 0.5 * u + 0.4 * v - 0.2; // correlation ≈ 0.78, so the cross term matters
  }
  return p;
}

Deno.test("KDE kernel follows scipy's gaussian_kde: covariance = sample covariance · bw²", () => {
  const points = new Float64Array([0, 0, 2, 0, 0, 2, 2, 2]);
  const k = kdeKernel(points, 0.5);
  // sample covariance (n−1 = 3): var = 4/3 each, cov 0; times 0.25 → 1/3
  assertClose(k.covariance, [1 / 3, 0, 1 / 3], 1e-12);
  // density at a point far from all but one: 1/n · N(0; 0, Σ) ≈ 1/4 · 1/(2π/3)
  assertClose(kdeAt(k, -10, -10), 0, 1e-12);
  const atCorner = kdeAt(k, 0, 0);
  assert(atCorner > 0.25 * 3 / (2 * Math.PI) && atCorner < 0.26 * 3 / (2 * Math.PI), `density ${atCorner}`);
});

Deno.test("factored grid KDE (worker pool) equals the direct definition, with correlated data", async () => {
  const points = correlatedPoints(500, 7);
  const xs = gridAxis(2.5, 23), ys = gridAxis(2.5, 17);
  const pool = createPool({ threads: 2 });
  try {
    const grid = await kdeOnGrid(pool, points, xs, ys, 0.1);
    const k = kdeKernel(points, 0.1);
    const expected = new Float64Array(xs.length * ys.length);
    for (let iy = 0; iy < ys.length; iy++) for (let ix = 0; ix < xs.length; ix++) expected[iy * xs.length + ix] = kdeAt(k, xs[ix], ys[iy]);
    assertClose(grid, expected, 1e-10, "grid vs direct");
    // Mass over a wide grid integrates to ≈ 1.
    const wide = gridAxis(5, 201);
    const full = await kdeOnGrid(pool, points, wide, wide, 0.1);
    const cell = (wide[1] - wide[0]) ** 2;
    assertClose(full.reduce((a, b) => a + b, 0) * cell, 1, 1e-3, "integral");
  } finally {
    await pool.close();
  }
});

Deno.test("kdeRows falls back to direct evaluation when the factored form could overflow", () => {
  const points = correlatedPoints(50, 3).map((v) => v * 100);
  const k = kdeKernel(points, 0.01);
  const xs = Float64Array.from([-50, 0, 60]), ys = Float64Array.from([-30, 10]);
  const out = kdeRows({ points, inverse: k.inverse, scale: k.scale, xs, ys });
  for (let iy = 0; iy < 2; iy++) for (let ix = 0; ix < 3; ix++) {
    assertClose(out[iy * 3 + ix], kdeAt(k, xs[ix], ys[iy]), 1e-9);
  }
});
