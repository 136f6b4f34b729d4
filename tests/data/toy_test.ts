import { gridAxis, gridKL, gridPoints, normaliseLogGrid, ToyDistribution } from "../../lib/data/toy.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

const gmm = new ToyDistribution({ toy_type: "gmm", toy_groups: 8, toy_sd: 0.15, toy_radius: 1 });
const rings = new ToyDistribution({ toy_type: "rings", toy_groups: 4, toy_sd: 0.15, toy_radius: 1 });

Deno.test("toy: extents are radius + 4·sd (gmm) and groups·radius + 4·sd (rings)", () => {
  assertClose(gmm.extent(), 1.6, 1e-12);
  assertClose(rings.extent(), 4.6, 1e-12);
  assertClose(gmm.means[2], [Math.cos(Math.PI / 2), 1], 1e-12);
});

Deno.test("toy: densities integrate to 1 over the grid and match closed forms", () => {
  for (const [toy, res] of [[gmm, 400], [rings, 600]] as const) {
    const g = toy.grid(res);
    const cell = (g.xs[1] - g.xs[0]) ** 2;
    const integral = g.density.reduce((a, b) => a + b, 0) * cell;
    assert(Math.abs(integral - 1) < 0.01, `${toy.config.toy_type}: integral ${integral}`);
    assertClose(g.mass.reduce((a, b) => a + b, 0), 1, 1e-12);
  }
  // At a gmm mean: (1/8)·N(0; 0, sd²I), plus the neighbours at distance 2·sin(π·j/8).
  let peak = 0;
  for (let j = 0; j < 8; j++) peak += Math.exp(-((2 * Math.sin((Math.PI * j) / 8)) ** 2) / (2 * 0.15 ** 2));
  peak /= 8 * 2 * Math.PI * 0.15 ** 2;
  assertClose(gmm.density(1, 0), peak, 1e-9);
  assertClose(gmm.density(1, 0), 1 / 8 / (2 * Math.PI * 0.15 ** 2), 1e-5);
  // On the first ring: (1/4)·N(0; 0, sd²)/(2π·1) plus the neighbours' tails.
  const ring = (0.25 / (Math.sqrt(2 * Math.PI) * 0.15)) / (2 * Math.PI);
  assertClose(rings.density(0, 1), ring, 1e-6);
  assert(Number.isFinite(gmm.logDensity(50, 50)) && gmm.logDensity(50, 50) < -1e4, "finite log in the far tail");
});

Deno.test("toy: samples are reproducible and follow the distribution", () => {
  const a = gmm.sample(20000, new Random(7)), b = gmm.sample(20000, new Random(7));
  assertEquals(Array.from(a.subarray(0, 10)), Array.from(b.subarray(0, 10)));
  // Each gmm point is near a mean: squared distance to the nearest mean / sd² ~ χ²₂ with mean 2.
  let chi = 0;
  for (let i = 0; i < 20000; i++) {
    let best = Infinity;
    for (const [mx, my] of gmm.means) best = Math.min(best, (a[2 * i] - mx) ** 2 + (a[2 * i + 1] - my) ** 2);
    chi += best / 0.15 ** 2;
  }
  assertClose(chi / 20000, 2, 0.05);
  const r = rings.sample(20000, new Random(8));
  let meanRadius = 0;
  for (let i = 0; i < 20000; i++) meanRadius += Math.hypot(r[2 * i], r[2 * i + 1]);
  assertClose(meanRadius / 20000, 2.5, 0.02); // radii 1..4 equally likely
});

Deno.test("toy: grid layout, normalisation and KL", async () => {
  const g = gmm.grid(5);
  assertEquals(Array.from(gridAxis(1, 5)), [-1, -0.5, 0, 0.5, 1]);
  // Row-major along y: cell (iy=0, ix=4) is (x = +m, y = −m).
  assertClose([g.points[8], g.points[9]], [1.6, -1.6], 1e-6);
  assertClose(g.logDensity[4], gmm.logDensity(1.6, -1.6), 1e-12);
  assertEquals(Array.from(gridPoints([-1, 0.5, 2])), [-1, -1, 0.5, -1, 2, -1, -1, 0.5, 0.5, 0.5, 2, 0.5, -1, 2, 0.5, 2, 2, 2]);
  assertEquals(Array.from(g.points), Array.from(gridPoints(g.xs)));
  const p = normaliseLogGrid([0, Math.log(3)]);
  assertClose(Array.from(p), [0.25, 0.75], 1e-12);
  assertEquals(gridKL(p, p), 0);
  assertClose(gridKL([0.5, 0.5], [0.25, 0.75]), 0.5 * Math.log(2) + 0.5 * Math.log(0.5 / 0.75), 1e-12);
  await assertThrowsAsync(() => Promise.resolve().then(() => new ToyDistribution({ toy_type: "gmm", toy_groups: 0, toy_sd: 1, toy_radius: 1 })), "'toy_groups'", "got 0");
});
