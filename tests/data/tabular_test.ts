/**
 * VERA's tabular loaders (HEPMASS, HUMAN, CROP): downloads from a local server (gzip and zip
 * archives, tests/fixtures/tabular written by make_tabular_fixtures.py), the seed's feature filter,
 * splits and standardisation, the labelled subset, and malformed files failing with file and line.
 */
import { serveFiles } from "./server.ts";
import { downloadTabular } from "../../lib/data/tabular_download.ts";
import { labelledSubset, loadTabular, parseRows, recurringFeatureFilter } from "../../lib/data/tabular.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

const FIX = new URL("../fixtures/tabular/", import.meta.url).pathname;
const fixtures: Record<string, Uint8Array> = {};
for (const name of ["1000_train.csv.gz", "1000_test.csv.gz", "UCI HAR Dataset.zip", "data.zip"]) fixtures[name] = await Deno.readFile(FIX + name);

function columnStats(x: Float64Array, n: number, d: number, j: number): [number, number] {
  let m = 0, s = 0;
  for (let i = 0; i < n; i++) m += x[i * d + j] / n;
  for (let i = 0; i < n; i++) s += (x[i * d + j] - m) ** 2 / n;
  return [m, Math.sqrt(s)];
}

Deno.test("tabular: HEPMASS, HUMAN and CROP download from a server, extract, filter, split and standardise", async () => {
  const server = serveFiles(fixtures);
  const root = await Deno.makeTempDir({ prefix: "tabular-test-" });
  try {
    for (const [name, sub] of [["hepmass", "HEPMASS"], ["human", "HUMAN"], ["crop", "CROP"]] as const) {
      const written = await downloadTabular(name, `${root}/${sub}`, { baseUrl: server.base });
      assert(written.length > 0, `${name}: nothing written`);
      assertEquals(await downloadTabular(name, `${root}/${sub}`, { baseUrl: server.base }), [], `${name}: a second call downloads nothing`);
      const data = await loadTabular(name, `${root}/${sub}`, 1234);
      const { train, val, test } = data;
      if (name === "hepmass") {
        // 4 features; f1's smallest value (−1.0) occurs 7 times > 5: dropped. 40 rows → 36 train, 4 validation.
        assertEquals([data.kept, train.n, val.n, test.n, test.d], [[0, 2, 3], 36, 4, 10, 3], "hepmass shapes");
      } else if (name === "human") {
        assertEquals([train.n, val.n, test.n, data.numClasses], [27, 3, 6, 6], "human shapes");
        assert(data.kept.length <= 561 && data.kept.length > 500, `human kept ${data.kept.length}`);
      } else {
        // 50 rows: the last 5 (after the shuffle) are the test split, then 4 of 45 are validation.
        assertEquals([train.n, val.n, test.n, train.d, data.numClasses], [41, 4, 5, 5, 7], "crop shapes");
      }
      for (let j = 0; j < train.d; j++) {
        const [m, s] = columnStats(train.x, train.n, train.d, j);
        assertClose([m, s], [0, 1], 1e-9, `${name} feature ${j}: training mean and sd after standardising`);
      }
      for (const t of [train, val, test]) assert(t.y.every((y) => y >= 0 && y < data.numClasses), `${name}: labels in range`);
    }
    assert(server.requests.some((r) => r.path === "UCI HAR Dataset.zip"), "the HAR archive was requested by its name");
  } finally {
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("tabular: the seed's filter drops features whose smallest value recurs more than 5 times", () => {
  const n = 8, x = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    x[i * 2] = i < 6 ? 0 : i; // smallest value 0 occurs 6 times
    x[i * 2 + 1] = i < 5 ? 0 : i; // 5 times: kept
  }
  assertEquals(recurringFeatureFilter({ x, y: new Int32Array(n), n, d: 2 }), [1]);
});

Deno.test("tabular: labelled subset takes perClass of each class, reproducibly", () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => i % 4);
  const a = labelledSubset(labels, 10, 4, 1), b = labelledSubset(labels, 10, 4, 1);
  assertEquals(Array.from(a), Array.from(b), "same seed, same subset");
  assertEquals([0, 1, 2, 3].map((c) => Array.from(a).filter((i) => labels[i] === c).length), [10, 10, 10, 10], "per class");
  assertEquals(new Set(a).size, 40, "distinct");
});

Deno.test("tabular: malformed files fail naming the file and the line", async () => {
  await assertThrowsAsync(async () => parseRows("a,b\n1,2\n3\n", "x.csv", { header: true, delimiter: "," }), "'x.csv' line 3", "expected 2 values, got 1");
  await assertThrowsAsync(async () => parseRows("1 2\n3 oops\n", "X_train.txt", { header: false, delimiter: "whitespace" }), "'X_train.txt' line 2", "'oops'");
  await assertThrowsAsync(async () => parseRows("", "empty.txt", { header: false, delimiter: "," }), "'empty.txt'", "no data rows");
  const dir = await Deno.makeTempDir({ prefix: "tabular-bad-" });
  try {
    await Deno.writeTextFile(`${dir}/WinnipegDataset.txt`, "label,f1,f2\n1,0.5,0.25\n9,0.1,0.2\n");
    await assertThrowsAsync(() => loadTabular("crop", dir, 1), "WinnipegDataset.txt' line 3", "label 9 is not one of 1…7");
    await Deno.writeTextFile(`${dir}/WinnipegDataset.txt`, "klass,f1\n1,2\n");
    await assertThrowsAsync(() => loadTabular("crop", dir, 1), "WinnipegDataset.txt' line 1", "'label'");
    await Deno.mkdir(`${dir}/train`);
    await Deno.writeTextFile(`${dir}/train/X_train.txt`, "1 2 3\n");
    await assertThrowsAsync(() => loadTabular("human", dir, 1), "X_train.txt' line 1", "expected 561 values, got 3");
    await assertThrowsAsync(() => loadTabular("hepmass", dir, 1), "1000_train.csv'", "no such file");
    // A truncated gzip download is reported with the file.
    const server = serveFiles({ "1000_train.csv.gz": fixtures["1000_train.csv.gz"].slice(0, 40), "1000_test.csv.gz": fixtures["1000_test.csv.gz"] });
    try {
      await assertThrowsAsync(() => downloadTabular("hepmass", `${dir}/H`, { baseUrl: server.base }), "Cannot gunzip", "1000_train.csv.gz");
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
