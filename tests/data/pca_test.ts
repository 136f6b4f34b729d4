/**
 * lib/data/pca.ts and the tabular set built from it (lib/data/tabular_sets.ts, stored by
 * lib/artifacts/tabular_file.ts): subspace iteration against a direct Jacobi decomposition of the
 * whole covariance, orthonormal components, bit-for-bit determinism and the sign convention,
 * scores whose variances are the eigenvalues, the PCA fitted on the training rows only, and the
 * tabular file's round trip and malformed contents.
 */
import { covariance, fitPca, projectPca, symmetricEigen } from "../../lib/data/pca.ts";
import { pcaTable } from "../../lib/data/tabular_sets.ts";
import { decodeTabularFile, encodeTabularFile, readTabularFile, type TabularSet, writeTabularFile } from "../../lib/artifacts/tabular_file.ts";
import { labelledSubset } from "../../lib/data/tabular.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

/** |a − b| ≤ tol (absolute). */
function near(a: number, b: number, tol: number, what: string): void {
  assert(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);
}

/** n rows in d dimensions with distinct variances along a random orthonormal basis. */
function synthetic(n: number, d: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const basis = Array.from({ length: d }, () => Float64Array.from({ length: d }, () => rng.normal()));
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < j; i++) {
      let r = 0;
      for (let t = 0; t < d; t++) r += basis[i][t] * basis[j][t];
      for (let t = 0; t < d; t++) basis[j][t] -= r * basis[i][t];
    }
    const norm = Math.hypot(...basis[j]);
    for (let t = 0; t < d; t++) basis[j][t] /= norm;
  }
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const z = rng.normal() * (d - j);
      for (let t = 0; t < d; t++) x[i * d + t] += z * basis[j][t];
    }
    for (let t = 0; t < d; t++) x[i * d + t] += t * 0.5;
  }
  return x;
}

Deno.test("pca: subspace iteration matches a direct Jacobi decomposition of the whole covariance; components orthonormal", () => {
  const n = 3000, d = 24, k = 6;
  const x = synthetic(n, d, 7);
  const pca = fitPca(x, n, d, k);
  const { cov, mean } = covariance(x, n, d);
  const full = symmetricEigen(cov, d);
  // Jacobi itself: C V = V Λ.
  for (let j = 0; j < d; j++) {
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += cov[a * d + b] * full.vectors[b * d + j];
      assertClose(s, full.values[j] * full.vectors[a * d + j], 1e-8 * full.values[0], `Jacobi pair ${j}`);
    }
  }
  assertClose(pca.variance, full.values.slice(0, k), 1e-8 * full.values[0], "eigenvalues");
  for (let j = 0; j < k; j++) {
    let dot = 0;
    for (let t = 0; t < d; t++) dot += pca.components[j * d + t] * full.vectors[t * d + j];
    assertClose(Math.abs(dot), 1, 1e-8, `component ${j} is the eigenvector`);
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += pca.components[i * d + t] * pca.components[j * d + t];
      near(dot, i === j ? 1 : 0, 1e-12, `⟨v${i}, v${j}⟩`);
    }
  }
  assertClose(pca.mean, mean, 1e-12, "mean");
  assert(pca.residual <= 1e-9, `residual ${pca.residual}`);
  // The eigenvalues are the data's: variances d², (d−1)², … up to sampling error.
  assertClose(pca.variance[0] / (d * d), 1, 0.1, "largest variance");
});

Deno.test("pca: the same rows give the same components bit for bit; the largest entry of each is positive; scores have the eigenvalues as variances", () => {
  const n = 800, d = 30, k = 5;
  const x = synthetic(n, d, 3);
  const a = fitPca(x, n, d, k), b = fitPca(Float64Array.from(x), n, d, k);
  assertEquals(Array.from(a.components), Array.from(b.components), "components identical");
  assertEquals(Array.from(a.variance), Array.from(b.variance), "variances identical");
  for (let j = 0; j < k; j++) {
    const v = a.components.subarray(j * d, (j + 1) * d);
    const big = v.reduce((m, t) => (Math.abs(t) > Math.abs(m) ? t : m), 0);
    assert(big > 0, `component ${j}: largest entry ${big} is positive`);
  }
  const scores = projectPca(a, x, n);
  for (let j = 0; j < k; j++) {
    let m = 0, s = 0;
    for (let i = 0; i < n; i++) m += scores[i * k + j] / n;
    for (let i = 0; i < n; i++) s += (scores[i * k + j] - m) ** 2 / n;
    near(m, 0, 1e-6 * Math.sqrt(a.variance[j]), `score ${j} mean`);
    assertClose(s / a.variance[j], 1, 1e-5, `score ${j} variance`);
  }
  assertThrowsAsync(async () => fitPca(x, n, d, d + 1), "'components' must be a whole number in 1..30");
});

Deno.test("pca table: fitted on the training rows only, standardised with their statistics; the file round-trips and rejects bad contents", async () => {
  const n = 400, d = 16, k = 4, val = 100;
  const x = Float32Array.from(synthetic(n, d, 11));
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const testX = Float32Array.from(synthetic(50, d, 12)), testY = Int32Array.from({ length: 50 }, (_, i) => i % 3);
  const table = pcaTable({ x, y }, { x: testX, y: testY }, { components: k, validationSize: val, classes: 3, dataset: "toy-pca4", source: "synthetic" });
  const direct = fitPca(x.subarray(0, (n - val) * d), n - val, d, k);
  assertEquals(Array.from(table.pca!.components), Array.from(direct.components), "fitted on the first n − validation_size rows");
  assertEquals([table.train.y.length, table.val.y.length, table.test.y.length, table.d], [n - val, val, 50, k]);
  for (let j = 0; j < k; j++) {
    let m = 0, s = 0;
    const t = table.train.x, rows = n - val;
    for (let i = 0; i < rows; i++) m += t[i * k + j] / rows;
    for (let i = 0; i < rows; i++) s += (t[i * k + j] - m) ** 2 / rows;
    near(m, 0, 1e-5, `training feature ${j} mean`);
    near(s, 1, 1e-4, `training feature ${j} variance`);
  }
  // A validation row's feature recomputed from the stored PCA and statistics.
  const row = x.subarray((n - val) * d, (n - val + 1) * d);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += (row[t] - table.pca!.mean[t]) * table.pca!.components[j * d + t];
    assertClose(table.val.x[j], (s - table.featureMean[j]) / table.featureStd[j], 1e-4, `validation feature ${j}`);
  }
  const dir = await Deno.makeTempDir({ prefix: "tabular-file-" });
  try {
    await writeTabularFile(`${dir}/tabular.safetensors`, table);
    const back = await readTabularFile(`${dir}/tabular.safetensors`);
    assertEquals([back.dataset, back.classes, back.d, back.source], ["toy-pca4", 3, k, "synthetic"]);
    for (const s of ["train", "val", "test"] as const) {
      assertEquals(Array.from(back[s].x), Array.from(table[s].x), `${s}_x`);
      assertEquals(Array.from(back[s].y), Array.from(table[s].y), `${s}_y`);
    }
    assertEquals(Array.from(back.pca!.components), Array.from(table.pca!.components), "pca_components");
    assertEquals(Array.from(back.featureStd), Array.from(table.featureStd), "feature_std");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const bad: TabularSet = { ...table, train: { x: table.train.x, y: table.train.y.map((v, i) => (i === 5 ? 7 : v)) } };
  await assertThrowsAsync(async () => encodeTabularFile(bad), "'train_y' row 5 has label 7, expected 0…2");
  const noTest = encodeTabularFile({ ...table, test: { x: new Float32Array(0), y: new Int32Array(0) } });
  assertEquals(decodeTabularFile(noTest).test.y.length, 0, "an empty split is allowed");
  await assertThrowsAsync(async () => decodeTabularFile(new TextEncoder().encode("garbage"), "'t.safetensors'"), "'t.safetensors'");
});

Deno.test("labelled subset: n per class, the first n of each class in a seeded shuffle; another seed picks others", () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 10);
  const a = labelledSubset(labels, 10, 10, 5);
  const counts = new Array(10).fill(0);
  for (const i of a) counts[labels[i]]++;
  assertEquals(counts, new Array(10).fill(10), "10 per class");
  const order = new Random(5).permutation(labels.length);
  const want = Array.from({ length: 10 }, (_, c) => Array.from(order).filter((i) => labels[i] === c).slice(0, 10)).flat();
  assertEquals(Array.from(a), want, "the seed's rule");
  const b = labelledSubset(labels, 10, 10, 6);
  assert(Array.from(b).filter((i) => a.includes(i)).length < 50, "another seed, mostly other rows");
});
