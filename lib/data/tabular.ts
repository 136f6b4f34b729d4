/**
 * The VERA seed's tabular data sets for semi-supervised classification (SPEC §7), read from the
 * files its README names and prepared as its `tabular/` code does:
 * - `hepmass`: `1000_train.csv`, `1000_test.csv` (header line; column 0 the label; the test file's
 *   last column dropped, "because the data set is messed up"); 2 classes.
 * - `human`: `train/X_train.txt`, `test/X_test.txt` (561 whitespace-separated values a line) and
 *   `y_train.txt`, `y_test.txt` (labels 1…6, stored as 0…5); 6 classes; training rows shuffled.
 * - `crop`: `WinnipegDataset.txt` (header line; column `label` 1…7 → 0…6; the seed's correlation
 *   filter has threshold 1.01 and so drops nothing); 7 classes; shuffled; 10% split off as test.
 * HEPMASS and HUMAN drop every feature whose smallest training value occurs more than 5 times
 * (the seed: "too many re-occurring values"). Then 10% of the training rows (the last ones, after
 * the shuffle) become the validation split, and every split is standardised with the training
 * split's mean and (population) sd. Shuffles use this project's seeded {@link Random}, not numpy's
 * stream, so the exact split differs from the seed's for the same seed.
 *
 * Malformed files fail with the file and line: `Cannot read 'X_train.txt' line 7: expected 561
 * values, got 560`.
 *
 * @example
 * ```ts ignore
 * import { loadTabular } from "./tabular.ts";
 * const data = await loadTabular("human", "datasets/HUMAN", 1234);
 * console.log(data.train.d, data.numClasses); // features kept, 6
 * ```
 * @module
 */
import { Random } from "../util/random.ts";

/** The data sets and their class counts. */
export const TABULAR_DATASETS = { hepmass: 2, human: 6, crop: 7 } as const;
export type TabularName = keyof typeof TABULAR_DATASETS;

/** Rows of features with integer labels. */
export interface Table {
  /** Row-major [n, d]. */
  x: Float64Array;
  y: Int32Array;
  n: number;
  d: number;
}

/** A prepared data set: standardised splits, the kept feature indices and the training statistics. */
export interface TabularData {
  name: TabularName;
  numClasses: number;
  train: Table;
  val: Table;
  test: Table;
  /** Indices (into the file's feature columns) of the features kept. */
  kept: number[];
  mean: Float64Array;
  std: Float64Array;
}

/** Options of {@link parseTable}. */
export interface ParseOptions {
  /** Skip the first line (a header). */
  header: boolean;
  /** "," or whitespace-separated. */
  delimiter: "," | "whitespace";
  /** Expected number of values per line (all lines must agree with the first otherwise). */
  columns?: number;
}

/** Parses numeric rows; every error names the file and the line. Returns rows as arrays. */
export function parseRows(text: string, source: string, o: ParseOptions): number[][] {
  const lines = text.split(/\r?\n/);
  const rows: number[][] = [];
  let width = o.columns ?? -1;
  for (let i = o.header ? 1 : 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const cells = o.delimiter === "," ? line.split(",") : line.split(/\s+/);
    if (width < 0) width = cells.length;
    if (cells.length !== width) throw new Error(`Cannot read '${source}' line ${i + 1}: expected ${width} values, got ${cells.length}`);
    const row = cells.map((c, j) => {
      const v = Number(c.trim());
      if (c.trim() === "" || !Number.isFinite(v)) throw new Error(`Cannot read '${source}' line ${i + 1}: value ${j + 1} ('${c.trim()}') is not a finite number`);
      return v;
    });
    rows.push(row);
  }
  if (rows.length === 0) throw new Error(`Cannot read '${source}': no data rows`);
  return rows;
}

/** Integer labels `first…first+classes−1` → 0-based; errors name the file and line. */
function checkLabel(v: number, source: string, line: number, first: number, classes: number): number {
  const k = v - first;
  if (!Number.isInteger(v) || k < 0 || k >= classes) throw new Error(`Cannot read '${source}' line ${line}: label ${v} is not one of ${first}…${first + classes - 1}`);
  return k;
}

function toTable(rows: number[][], labels: number[]): Table {
  const n = rows.length, d = rows[0].length, x = new Float64Array(n * d);
  rows.forEach((r, i) => x.set(r, i * d));
  return { x, y: Int32Array.from(labels), n, d };
}

/** Splits a table with its label in column `col` (1-based file lines start after `header`). */
function labelledTable(rows: number[][], source: string, header: boolean, first: number, classes: number, dropLast = false): Table {
  const labels = rows.map((r, i) => checkLabel(r[0], source, i + 1 + (header ? 1 : 0), first, classes));
  return toTable(rows.map((r) => r.slice(1, dropLast ? -1 : undefined)), labels);
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`Cannot read '${path}': no such file (see the VERA README's 'Data' section for where each file comes from, or run the download)`);
    throw e;
  }
}

/** Reads a data set's files under `dir` into raw train (and test) tables, as the seed's `load`. */
export async function readTabularFiles(name: TabularName, dir: string): Promise<{ train: Table; test: Table | null; shuffle: boolean }> {
  const classes = TABULAR_DATASETS[name];
  if (name === "hepmass") {
    const tr = `${dir}/1000_train.csv`, te = `${dir}/1000_test.csv`;
    const train = labelledTable(parseRows(await readText(tr), tr, { header: true, delimiter: "," }), tr, true, 0, classes);
    const test = labelledTable(parseRows(await readText(te), te, { header: true, delimiter: "," }), te, true, 0, classes, true);
    if (test.d !== train.d) throw new Error(`Cannot read '${te}': ${test.d} features after dropping its last column, but '${tr}' has ${train.d}`);
    return { train, test, shuffle: false };
  }
  if (name === "human") {
    const part = async (split: "train" | "test") => {
      const xp = `${dir}/${split}/X_${split}.txt`, yp = `${dir}/${split}/y_${split}.txt`;
      const rows = parseRows(await readText(xp), xp, { header: false, delimiter: "whitespace", columns: 561 });
      const labels = parseRows(await readText(yp), yp, { header: false, delimiter: "whitespace", columns: 1 }).map((r, i) => checkLabel(r[0], yp, i + 1, 1, classes));
      if (labels.length !== rows.length) throw new Error(`Cannot read '${yp}': ${labels.length} labels for ${rows.length} rows of '${xp}'`);
      return toTable(rows, labels);
    };
    return { train: await part("train"), test: await part("test"), shuffle: true };
  }
  const p = `${dir}/WinnipegDataset.txt`;
  const text = await readText(p);
  const head = text.slice(0, text.indexOf("\n")).trim().split(",");
  if (head[0]?.trim() !== "label") throw new Error(`Cannot read '${p}' line 1: expected a header starting with 'label', got '${head[0] ?? ""}'`);
  return { train: labelledTable(parseRows(text, p, { header: true, delimiter: "," }), p, true, 1, classes), test: null, shuffle: true };
}

/**
 * Indices of the features to keep: those whose smallest training value occurs at most `maxCount`
 * times (the seed drops the others).
 */
export function recurringFeatureFilter(t: Table, maxCount = 5): number[] {
  const kept: number[] = [];
  for (let j = 0; j < t.d; j++) {
    let min = Infinity, count = 0;
    for (let i = 0; i < t.n; i++) {
      const v = t.x[i * t.d + j];
      if (v < min) {
        min = v;
        count = 1;
      } else if (v === min) count++;
    }
    if (count <= maxCount) kept.push(j);
  }
  return kept;
}

function select(t: Table, rows: ArrayLike<number>, cols: number[]): Table {
  const d = cols.length, x = new Float64Array(rows.length * d), y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let j = 0; j < d; j++) x[i * d + j] = t.x[r * t.d + cols[j]];
    y[i] = t.y[r];
  }
  return { x, y, n: rows.length, d };
}

/** Loads, filters, splits (10% validation, and 10% test for CROP) and standardises a data set. */
export async function loadTabular(name: TabularName, dir: string, seed: number): Promise<TabularData> {
  if (!(name in TABULAR_DATASETS)) throw new Error(`Cannot load tabular data '${name}': expected one of ${Object.keys(TABULAR_DATASETS).join(", ")}`);
  const raw = await readTabularFiles(name, dir);
  const kept = name === "crop" ? Array.from({ length: raw.train.d }, (_, j) => j) : recurringFeatureFilter(raw.train);
  if (kept.length === 0) throw new Error(`Cannot load '${name}' from '${dir}': every feature has a recurring smallest value`);
  const all = (t: Table) => Array.from({ length: t.n }, (_, i) => i);
  let order = all(raw.train);
  if (raw.shuffle) order = Array.from(new Random(seed).permutation(raw.train.n));
  // The seed splits off the LAST int(N·ratio) rows: test first (when the files have none), then validation.
  let trainRows = order, testTable: Table;
  if (raw.test) {
    testTable = select(raw.test, all(raw.test), kept);
  } else {
    const cut = trainRows.length - Math.floor(trainRows.length * 0.1);
    testTable = select(raw.train, trainRows.slice(cut), kept);
    trainRows = trainRows.slice(0, cut);
  }
  const vcut = trainRows.length - Math.floor(trainRows.length * 0.1);
  const train = select(raw.train, trainRows.slice(0, vcut), kept), val = select(raw.train, trainRows.slice(vcut), kept);
  const d = kept.length, mean = new Float64Array(d), std = new Float64Array(d);
  for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) mean[j] += train.x[i * d + j] / train.n;
  for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) std[j] += (train.x[i * d + j] - mean[j]) ** 2 / train.n;
  for (let j = 0; j < d; j++) {
    std[j] = Math.sqrt(std[j]);
    if (!(std[j] > 0)) throw new Error(`Cannot standardise '${name}': kept feature ${kept[j]} is constant on the training split`);
  }
  for (const t of [train, val, testTable]) for (let i = 0; i < t.n; i++) for (let j = 0; j < d; j++) t.x[i * d + j] = (t.x[i * d + j] - mean[j]) / std[j];
  return { name, numClasses: TABULAR_DATASETS[name], train, val, test: testTable, kept, mean, std };
}

/**
 * The seed's labelled subset: shuffle the indices with `seed`, then take the first
 * `perClass` of each class (fewer when a class has fewer).
 */
export function labelledSubset(labels: Int32Array, perClass: number, numClasses: number, seed: number): Int32Array {
  const order = new Random(seed).permutation(labels.length);
  const chosen: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    let k = 0;
    for (const i of order) {
      if (labels[i] !== c) continue;
      if (k++ >= perClass) break;
      chosen.push(i);
    }
  }
  return Int32Array.from(chosen);
}
