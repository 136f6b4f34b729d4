import { assert, assertClose, assertEquals } from "../assert.ts";
import { diagnosticCorrelations } from "../../lib/plot/correlation.ts";
import { computeCorrelations } from "../../lib/plot/diagnostics.ts";
import { decimateMinMax } from "../../lib/plot/decimate.ts";
import { createPool } from "../../lib/pool/pool.ts";
import { Random } from "../../lib/util/random.ts";

function series(n: number, seed: number) {
  const rng = new Random(seed);
  const d = new Float64Array(n), r = new Float64Array(n);
  let previous = 0;
  for (let t = 0; t < n; t++) {
    d[t] = -0.5 * previous + rng.normal() + 0.2;
    previous = d[t];
    r[t] = 2 + 0.4 * d[Math.max(0, t - 2)] + 0.3 * rng.normal();
  }
  return { d, r };
}

/** numpy/torch reference values (tests/fixtures/make_correlation_fixture.py wrote them; no Python at test time). */
interface ReferenceCase {
  n: number;
  window: number;
  maxLag: number;
  d: number[];
  r: number[];
  cross: number[];
  dAuto: number[];
  rAuto: number[];
}

Deno.test("diagnostic correlations equal the paper's numpy/torch computation (committed fixture)", async () => {
  const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/correlation/reference.json", import.meta.url))) as { cases: ReferenceCase[] };
  assertEquals(fixture.cases.map((c) => c.n), [3000, 40, 10, 500]);
  for (const ref of fixture.cases) {
    const { n, window, maxLag } = ref;
    const ours = diagnosticCorrelations(Float64Array.from(ref.d), Float64Array.from(ref.r), { window, maxLag });
    const lags = Math.min(maxLag, Math.min(n, window) - 1);
    assertEquals(ours.lags, Array.from({ length: 2 * lags + 1 }, (_, i) => i - lags));
    assertEquals(ours.count, Math.min(n, window));
    assertClose(ours.cross, ref.cross, 1e-12, `cross n=${n}`);
    assertClose(ours.dAuto, ref.dAuto, 1e-12, `dAuto n=${n}`);
    assertClose(ours.rAuto, ref.rAuto, 1e-12, `rAuto n=${n}`);
  }
});

Deno.test("lag sign: d lagging r by 2 peaks the cross-correlation at lag +2", () => {
  const rng = new Random(7);
  const r = Float64Array.from({ length: 1000 }, () => rng.normal());
  const d = Float64Array.from({ length: 1000 }, (_, t) => (t >= 2 ? r[t - 2] : 0));
  const c = diagnosticCorrelations(d, r);
  const peak = c.lags[c.cross.indexOf(Math.max(...c.cross))];
  assertEquals(peak, 2);
  assertClose(c.dAuto[0], 1, 1e-12);
  assertClose(c.rAuto[0], 1, 1e-12);
});

Deno.test("correlations in the worker pool equal the inline ones", async () => {
  const { d, r } = series(2500, 1);
  const pool = createPool({ threads: 1 });
  try {
    const inPool = await computeCorrelations(d, r, pool);
    assertEquals(inPool, diagnosticCorrelations(d, r));
    assertEquals(d.length, 2500, "inputs are copied, not transferred away");
  } finally {
    await pool.close();
  }
});

Deno.test("diagnosticCorrelations rejects mismatched, short and non-finite series", () => {
  const messages: string[] = [];
  for (const [d, r] of [[[1, 2], [1]], [[1], [1]], [[1, NaN, 2], [1, 2, 3]]]) {
    try { diagnosticCorrelations(d, r); } catch (e) { messages.push((e as Error).message); }
  }
  assert(messages[0].includes("d_t has 2 values but r_t has 1"), messages[0]);
  assert(messages[1].includes("at least 2"), messages[1]);
  assert(messages[2].includes("iteration 1") && messages[2].includes("non-finite"), messages[2]);
});

Deno.test("decimateMinMax keeps every bucket's extremes and the end points", () => {
  const rng = new Random(3);
  const values = Float64Array.from({ length: 100_000 }, () => rng.normal());
  values[12_345] = 50;
  values[67_890] = -50;
  const { x, y } = decimateMinMax(values, 400);
  assert(x.length <= 1600 && x.length >= 800, `${x.length} points`);
  assertEquals([x[0], x[x.length - 1]], [0, 99_999]);
  assert(Math.max(...y) === 50 && Math.min(...y) === -50, "spikes survive");
  for (let i = 1; i < x.length; i++) assert(x[i] > x[i - 1], "indices increase");
  for (let i = 0; i < x.length; i++) assertEquals(y[i], values[x[i]]);
  // bucket-wise: each bucket's max and min are present
  const size = Math.ceil(100_000 / 400);
  for (let start = 0; start < 100_000; start += size * 37) {
    const bucket = values.subarray(start, start + size);
    const kept = [...y.filter((_, i) => x[i] >= start && x[i] < start + size)];
    assert(kept.includes(Math.max(...bucket)) && kept.includes(Math.min(...bucket)), `bucket at ${start}`);
  }
  const short = decimateMinMax([1, 2, 3], 400);
  assertEquals([...short.x, ...short.y], [0, 1, 2, 1, 2, 3]);
});
