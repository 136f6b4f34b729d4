import { EIGHT_GAUSSIANS_MEANS, eightGaussiansLogDensity, sampleToy2d, TOY_2D_DATASETS } from "../../lib/data/toy_2d.ts";
import { findPointSetInput, POINT_SET_FILE, readPointSet, writePointSet } from "../../lib/data/point_set_file.ts";
import { Random } from "../../lib/util/random.ts";
import toy2d from "../../tasks/toy-2d.ts";
import { makeTestContext } from "../task_context.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

Deno.test("toy-2d: every generator is reproducible from its seed, finite and inside [−6, 6]²", () => {
  for (const name of TOY_2D_DATASETS) {
    const a = sampleToy2d(name, 5001, new Random(3)), b = sampleToy2d(name, 5001, new Random(3));
    assertEquals(a.length, 10002, name);
    assertEquals(Array.from(a), Array.from(b), name);
    const c = sampleToy2d(name, 5001, new Random(4));
    assert(Array.from(a).some((v, i) => v !== c[i]), `${name}: another seed gives other points`);
    for (const v of a) assert(Number.isFinite(v) && Math.abs(v) < 6, `${name}: value ${v}`);
  }
});

Deno.test("toy-2d: 8gaussians log-density integrates to 1, peaks at the modes and fits the samples", () => {
  assertEquals(EIGHT_GAUSSIANS_MEANS.length, 8);
  for (const [x, y] of EIGHT_GAUSSIANS_MEANS) assertClose(Math.hypot(x, y), 2 * Math.SQRT2, 1e-12);
  // At a mode: (1/8)·1/(2π/8) (the neighbours, 2.16 away, add < 1e-8).
  assertClose(eightGaussiansLogDensity(2 * Math.SQRT2, 0), Math.log(1 / (2 * Math.PI)), 1e-7);
  const res = 801, m = 5, h = (2 * m) / (res - 1);
  let integral = 0;
  for (let i = 0; i < res; i++) for (let j = 0; j < res; j++) integral += Math.exp(eightGaussiansLogDensity(-m + i * h, -m + j * h));
  assertClose(integral * h * h, 1, 1e-6);
  assert(Number.isFinite(eightGaussiansLogDensity(100, -100)), "finite far out");
  // Samples: squared distance to the nearest mode × 8 ~ χ²₂ (mean 2); the mean log-density is the
  // negative entropy of one component, −log(2πe/8), up to the tiny overlap.
  const n = 40000, pts = sampleToy2d("8gaussians", n, new Random(11));
  let chi = 0, meanLogp = 0;
  for (let i = 0; i < n; i++) {
    const x = pts[2 * i], y = pts[2 * i + 1];
    chi += 8 * Math.min(...EIGHT_GAUSSIANS_MEANS.map(([mx, my]) => (x - mx) ** 2 + (y - my) ** 2));
    meanLogp += eightGaussiansLogDensity(x, y);
  }
  assertClose(chi / n, 2, 0.04);
  assertClose(meanLogp / n, -Math.log((2 * Math.PI * Math.E) / 8) - Math.log(8), 0.02);
});

Deno.test("toy-2d: checkerboard, rings, pinwheel and 2spirals have the seed's shapes", () => {
  const n = 20000;
  const cb = sampleToy2d("checkerboard", n, new Random(1));
  for (let i = 0; i < n; i++) {
    const cx = Math.floor(cb[2 * i] / 2), cy = Math.floor(cb[2 * i + 1] / 2);
    assert(((cx + cy) % 2 + 2) % 2 === 0, `checkerboard point ${i} in a white square: ${cb[2 * i]}, ${cb[2 * i + 1]}`);
  }
  const rings = sampleToy2d("rings", n, new Random(2));
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const r = Math.hypot(rings[2 * i], rings[2 * i + 1]);
    const k = [3, 2.25, 1.5, 0.75].findIndex((rk) => Math.abs(r - rk) < 0.35);
    assert(k >= 0, `ring point at radius ${r}`);
    counts[k]++;
  }
  for (const c of counts) assertClose(c / n, 0.25, 0.06); // ±0.015, 5 sd of a binomial fraction
  const spirals = sampleToy2d("2spirals", n, new Random(5));
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) sx += spirals[2 * i], sy += spirals[2 * i + 1];
  assert(Math.abs(sx / n) < 0.05 && Math.abs(sy / n) < 0.05, "2spirals is point-symmetric");
  const pin = sampleToy2d("pinwheel", n, new Random(6));
  let meanR = 0;
  for (let i = 0; i < n; i++) meanR += Math.hypot(pin[2 * i], pin[2 * i + 1]);
  assertClose(meanR / n, 2 * 1.005, 0.01); // E‖(r, t)‖ ≈ E r + E t²/2 with r ~ N(1, 0.3²), t ~ N(0, 0.1²), ×2
});

Deno.test("point-set file: round trip, and errors naming the file and field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/${POINT_SET_FILE}`;
    await writePointSet(path, { points: new Float32Array([1, 2, 3, 4, 5, 6]), dim: 2, dataset: "demo" }, { seed: "9" });
    const set = await readPointSet(path);
    assertEquals([set.count, set.dim, set.dataset, set.metadata.seed], [3, 2, "demo", "9"]);
    assertEquals(Array.from(set.points), [1, 2, 3, 4, 5, 6]);
    await assertThrowsAsync(() => writePointSet(path, { points: new Float32Array(3), dim: 2, dataset: "x" }), "not a whole number of 2-D points");
    await assertThrowsAsync(() => writePointSet(path, { points: new Float32Array([0, NaN]), dim: 2, dataset: "x" }), "value 1 is NaN");
    const { encodeSafetensors } = await import("../../lib/util/safetensors.ts");
    await Deno.writeFile(`${dir}/bad.safetensors`, encodeSafetensors({ points: { dtype: "F32", shape: [1, 2], data: new Float32Array(2) } }, { count: "1", dim: "2" }));
    await assertThrowsAsync(() => readPointSet(`${dir}/bad.safetensors`), "metadata field 'dataset' is missing");
    assertEquals(findPointSetInput([{ id: "a", task: "toy-2d", dir }, { id: "b", task: "x", dir: `${dir}/none` }]), path);
    let message = "";
    try {
      findPointSetInput([{ id: "b", task: "x", dir: `${dir}/none` }]);
    } catch (e) {
      message = String(e);
    }
    assert(message.includes("Cannot find the training points: expected exactly one upstream step with points.safetensors, found 0 (inputs: b (x)); add a toy-2d step"), message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("toy-2d task: writes the point set and its statistics from the step's seed", async () => {
  const t = await makeTestContext(toy2d.config.parse({ dataset: "8gaussians", n_samples: 2000 }), { seed: 42 });
  try {
    await toy2d.run(t.ctx);
    const set = await readPointSet(`${t.ctx.outDir}/${POINT_SET_FILE}`);
    assertEquals([set.count, set.dataset, set.metadata.seed], [2000, "8gaussians", "42"]);
    assertEquals(Array.from(set.points.subarray(0, 8)), Array.from(sampleToy2d("8gaussians", 2000, new Random(42)).subarray(0, 8)));
    assertEquals(t.metrics?.count, 2000);
    assertClose(Number(t.metrics?.sd_x), Math.sqrt(4 + 1 / 8), 0.05); // E[x²] over the modes = 4, plus the variance 1/8
  } finally {
    await t.dispose();
  }
});
