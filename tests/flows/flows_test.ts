/**
 * Tests that would catch a wrong flow: log-densities of samples against the base density and the
 * log-dets, inverse∘forward = id, every layer's log-det against a finite-difference Jacobian,
 * MADE's autoregressive structure and order, the density integrating to 1, state round trips.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createMaf, madeMasks } from "../../lib/flows/maf.ts";
import { createGlow } from "../../lib/flows/glow.ts";
import { type Flow, type FlowLayer, standardNormalLogProb } from "../../lib/flows/flow.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals } from "../assert.ts";

await initBackend("wasm");

/**
 * A flow moved off its init so the tests see real maps: MAF's random init is already a non-trivial
 * map (its weights get a small extra nudge); Glow starts near the identity (fc3 and the log-scale
 * factor are zero, ActNorms at scale 1 and bias 0), so those and the 1×1 matrices are drawn at
 * random. (The ActNorm data-dependent init has its own test.)
 */
function perturbed(kind: "maf" | "glow", seed: number, scale = 0.1): Flow {
  const flow = kind === "maf" ? createMaf({}, seed) : createGlow({}, seed);
  const rng = new Random(seed + 2);
  for (const p of flow.params) {
    const sd = kind === "maf" ? 0.1 * scale : /fc3|log_scale_factor|\.1\.w$|\.(scale|bias)$/.test(p.key) ? scale : 0;
    if (sd === 0) continue;
    tf.tidy(() => p.variable.assign(tf.add(p.variable, tf.tensor(rng.normalArray(p.variable.size, 0, sd), p.variable.shape))));
  }
  return flow;
}

const FLOWS = ["maf", "glow"] as const;

/** Every |a − b| ≤ tol (log-dets can be ~0, where a relative test means nothing). */
function assertNear(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, message: string): void {
  assertEquals(a.length, b.length, message);
  for (let i = 0; i < a.length; i++) assert(Math.abs(a[i] - b[i]) <= tol, `${message}: [${i}] ${a[i]} vs ${b[i]}`);
}

Deno.test("flows: sample → logProb equals the base density plus the summed log-dets", () => {
  for (const kind of FLOWS) {
    const flow = perturbed(kind, 3);
    tf.tidy(() => {
      const z = tf.tensor2d(new Random(5).normalArray(400), [200, 2]);
      const { out: x, logDets } = flow.inverse(z);
      const byHand = logDets.reduce((a, d) => tf.sub(a, d), standardNormalLogProb(z));
      const { x: xs, logProb } = flow.sampleFrom(z);
      assertClose(xs.dataSync(), x.dataSync(), 1e-6, `${kind}: sampleFrom = inverse`);
      assertClose(logProb.dataSync(), byHand.dataSync(), 1e-6, `${kind}: sample log q`);
      const forward = flow.forward(x);
      const fwd = forward.logDets.reduce((a, d) => tf.add(a, d), standardNormalLogProb(forward.out));
      assertClose(flow.logProb(x).dataSync(), logProb.dataSync(), 2e-4, `${kind}: logProb(sample) vs log N(z) − Σ inverse log-dets`);
      assertClose(fwd.dataSync(), logProb.dataSync(), 2e-4, `${kind}: forward log N(f(x)) + Σ log-dets`);
      // The inverse log-dets are the negated forward ones, layer by layer (reversed order).
      const n = flow.layers.length;
      for (let i = 0; i < n; i++) {
        assertNear(logDets[i].dataSync(), tf.neg(forward.logDets[n - 1 - i]).dataSync(), 1e-4, `${kind}: layer ${flow.layers[n - 1 - i].name}`);
      }
      // Not trivially zero: the perturbed flow changes volume.
      assert(Math.abs(tf.sum(tf.abs(logDets.reduce((a, d) => tf.add(a, d)))).dataSync()[0]) > 1, `${kind}: log-dets are all ~0`);
    });
    flow.dispose();
  }
});

Deno.test("flows: inverse(forward(x)) = x and forward(inverse(z)) = z to 1e-5", () => {
  for (const kind of FLOWS) {
    const flow = perturbed(kind, 7);
    tf.tidy(() => {
      const x = tf.tensor2d(new Random(8).normalArray(1000, 0, 1.5), [500, 2]);
      const back = flow.inverse(flow.forward(x).out).out;
      assertClose(back.dataSync(), x.dataSync(), 1e-5, `${kind}: x`);
      const z = tf.tensor2d(new Random(9).normalArray(1000), [500, 2]);
      assertClose(flow.forward(flow.inverse(z).out).out.dataSync(), z.dataSync(), 1e-5, `${kind}: z`);
    });
    flow.dispose();
  }
});

/** log|det J| of `map` at each point by central differences (step h), [N]. */
function finiteDifferenceLogDet(map: (x: tf.Tensor2D) => tf.Tensor2D, points: Float32Array, h: number): number[] {
  const n = points.length / 2;
  const shifted = new Float32Array(8 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 2; j++) {
      for (let s = 0; s < 2; s++) {
        const row = 4 * i + 2 * j + s;
        shifted[2 * row] = points[2 * i];
        shifted[2 * row + 1] = points[2 * i + 1];
        shifted[2 * row + j] += s === 0 ? h : -h;
      }
    }
  }
  const y = tf.tidy(() => map(tf.tensor2d(shifted, [4 * n, 2])).dataSync());
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const col = (j: number) => [0, 1].map((k) => (y[2 * (4 * i + 2 * j) + k] - y[2 * (4 * i + 2 * j + 1) + k]) / (2 * h));
    const [c0, c1] = [col(0), col(1)];
    out.push(Math.log(Math.abs(c0[0] * c1[1] - c1[0] * c0[1])));
  }
  return out;
}

Deno.test("flows: every layer's log-det matches a finite-difference Jacobian, both directions", () => {
  for (const kind of FLOWS) {
    const flow = perturbed(kind, 11);
    const points = new Random(12).normalArray(20, 0, 1.2);
    let h = tf.tensor2d(points, [10, 2]);
    for (const layer of flow.layers as FlowLayer[]) {
      const at = h.dataSync() as Float32Array;
      const { y, logDet } = layer.forward(h);
      const fd = finiteDifferenceLogDet((x) => layer.forward(x).y, at, 1e-2);
      assertNear(logDet.dataSync(), fd, 5e-3, `${kind} ${layer.name} forward`);
      const yAt = y.dataSync() as Float32Array;
      const inv = layer.inverse(y);
      const fdInv = finiteDifferenceLogDet((v) => layer.inverse(v).x, yAt, 1e-2);
      assertNear(inv.logDet.dataSync(), fdInv, 5e-3, `${kind} ${layer.name} inverse`);
      tf.dispose([h, logDet, inv.x, inv.logDet]);
      h = y;
    }
    h.dispose();
    flow.dispose();
  }
});

Deno.test("MADE: connectivity is strictly lower-triangular in degree order; MAF reverses it per block", () => {
  // Masks for D = 4, degrees (2, 0, 3, 1): output i may see input j only if deg j < deg i.
  const deg = [2, 0, 3, 1];
  const masks = madeMasks(deg, 9, 2);
  const dims = [4, 9, 9, 9, 4];
  let conn: number[][] = Array.from({ length: 4 }, (_, j) => Array.from({ length: 4 }, (_, i) => (i === j ? 1 : 0))); // [in][in]
  masks.forEach((m, l) => {
    const [cin, cout] = [dims[l], dims[l + 1]];
    conn = conn.map((row) => Array.from({ length: cout }, (_, o) => row.reduce((s, v, i) => s + v * m[o * cin + i], 0)));
  });
  for (let j = 0; j < 4; j++) {
    for (let i = 0; i < 4; i++) assertEquals(conn[j][i] > 0, deg[j] < deg[i], `input ${j} → output ${i}`);
  }
  // In the MAF: block 0 (degrees 0, 1) makes u₀ independent of x₁; block 1 (reversed) makes u₁ independent of x₀.
  const maf = perturbed("maf", 13);
  const x = new Random(14).normalArray(2);
  for (const [b, free, dependent] of [[0, 0, 1], [1, 1, 0]] as const) {
    const layer = maf.layers[b];
    tf.tidy(() => {
      const base = layer.forward(tf.tensor2d(x, [1, 2])).y.dataSync();
      for (const j of [0, 1]) {
        const moved = Float32Array.from(x);
        moved[j] += 0.5;
        const y = layer.forward(tf.tensor2d(moved, [1, 2])).y.dataSync();
        const du = [y[0] - base[0], y[1] - base[1]];
        if (j === dependent) assertEquals(du[free], 0, `block ${b}: u${free} must not see x${j}`);
        else assert(du[dependent] !== 0 && du[free] !== 0, `block ${b}: moving x${j} moves both outputs`);
      }
    });
  }
  maf.dispose();
});

Deno.test("flows: the density integrates to 1 ± 0.01 over a fine grid", () => {
  for (const kind of FLOWS) {
    const flow = perturbed(kind, 17);
    const res = 200, m = 7, step = (2 * m) / res;
    const grid = new Float32Array(2 * res * res);
    for (let i = 0; i < res; i++) {
      for (let j = 0; j < res; j++) {
        grid[2 * (i * res + j)] = -m + (j + 0.5) * step;
        grid[2 * (i * res + j) + 1] = -m + (i + 0.5) * step;
      }
    }
    const total = tf.tidy(() => tf.sum(tf.exp(flow.logProb(tf.tensor2d(grid, [res * res, 2])))).dataSync()[0]) * step * step;
    assert(Math.abs(total - 1) <= 0.01, `${kind}: ∫q = ${total}`);
    flow.dispose();
  }
});

Deno.test("Glow: ActNorm's data-dependent init normalises the first batch at every ActNorm, once", () => {
  const glow = createGlow({}, 5);
  const data = tf.tensor2d(new Random(6).normalArray(2000, 3, 2), [1000, 2]);
  glow.initialize(data);
  tf.tidy(() => {
    const first = glow.layers[0].forward(data).y;
    const { mean, variance } = tf.moments(first, 0);
    assertNear(mean.dataSync(), [0, 0], 1e-5, "first ActNorm mean");
    assertNear(variance.dataSync(), [1, 1], 1e-4, "first ActNorm variance");
    // The coupling-internal ActNorm after fc1 sees the second coordinate after step 0's ActNorm and 1×1.
    const xb = tf.split(glow.layers[1].forward(first).y, 2, 1)[1] as tf.Tensor2D;
    const h = tf.add(tf.matMul(xb, glow.param("flowlevels.0.flowsteps.0.2.fc1.weight")), glow.param("flowlevels.0.flowsteps.0.2.fc1.bias"));
    const m = tf.moments(h, 0);
    assertClose(glow.param("flowlevels.0.flowsteps.0.2.actnorm1.bias").dataSync(), m.mean.dataSync(), 1e-4, "actnorm1 bias = mean");
    assertClose(glow.param("flowlevels.0.flowsteps.0.2.actnorm1.scale").dataSync(), tf.add(tf.sqrt(m.variance), 1e-6).dataSync(), 1e-4, "actnorm1 scale = sd + 1e-6");
  });
  // A second call changes nothing (the seed initialises once).
  const before = glow.param("flowstep.3.0.scale").dataSync().slice();
  const other = tf.tensor2d(new Random(7).normalArray(200, -5, 9), [100, 2]);
  glow.initialize(other);
  assertEquals(Array.from(glow.param("flowstep.3.0.scale").dataSync()), Array.from(before));
  tf.dispose([data, other]);
  glow.dispose();
});

Deno.test("flows: parameter keys, shapes and init follow the seed; state round-trips", () => {
  const maf = createMaf({}, 1);
  const mafState = maf.stateTensors();
  assertEquals(mafState["net.0.net_input.weight"].shape, [100, 2]);
  assertEquals(mafState["net.4.net.3.weight"].shape, [4, 100]);
  assertEquals(mafState["net.4.net.3.mask"].shape, [4, 100]);
  assertEquals(Array.from(mafState["net.0.net_input.mask"].data as Float32Array).slice(0, 4), [1, 0, 1, 0]); // hidden sees x₀ only
  assertEquals(Array.from(mafState["net.1.net_input.mask"].data as Float32Array).slice(0, 4), [0, 1, 0, 1]); // reversed
  assertEquals(maf.params.length, 5 * 6);
  const glow = createGlow({}, 1);
  const g = glow.stateTensors();
  assertEquals(glow.layers.length, 30);
  assertEquals(g["flowlevels.0.flowsteps.4.2.fc2.weight"].shape, [64, 64]);
  assertEquals(g["flowstep.4.1.w"].shape, [2, 2]);
  assertEquals(g["flowstep.0.0.initialized"].data[0], 0);
  const w = g["flowstep.0.1.w"].data as Float32Array;
  assertClose([w[0] * w[0] + w[2] * w[2], w[0] * w[1] + w[2] * w[3], w[1] * w[1] + w[3] * w[3]], [1, 0, 1], 1e-6, "W orthogonal");
  assert((g["flowstep.0.2.fc3.weight"].data as Float32Array).every((v) => v === 0), "fc3 zero-initialised");
  // Round trip of a trained-looking state into a fresh flow with another seed.
  const a = perturbed("glow", 21), b = createGlow({}, 99);
  const data = tf.tensor2d(new Random(23).normalArray(200), [100, 2]);
  a.initialize(data);
  data.dispose();
  b.loadStateTensors(a.stateTensors());
  tf.tidy(() => {
    const x = tf.tensor2d(new Random(22).normalArray(20), [10, 2]);
    assertClose(b.logProb(x).dataSync(), a.logProb(x).dataSync(), 1e-6, "glow round trip");
  });
  assertEquals(b.stateTensors()["flowstep.0.0.initialized"].data[0], 1);
  for (const f of [maf, glow, a, b]) f.dispose();
});
