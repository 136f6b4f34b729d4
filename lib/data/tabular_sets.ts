/**
 * Tabular classification sets for VERA's semi-supervised runs (SPEC §7), in the shape
 * `lib/artifacts/tabular_file.ts` stores:
 * - {@link pcaTable}: images → the leading principal components, fitted deterministically
 *   (`lib/data/pca.ts`) on the training rows only (the training split minus its last
 *   `validationSize` images, which become the validation split), then standardised with the
 *   training rows' statistics, as the seed standardises its tabular features;
 * - {@link uciTable}: a set prepared by `lib/data/tabular.ts` (HEPMASS, HUMAN, CROP).
 *
 * @example
 * ```ts ignore
 * import { pcaTable } from "./tabular_sets.ts";
 * const table = pcaTable(train, test, { components: 50, validationSize: 5000, classes: 10, dataset: "fashion-mnist-pca50", source: "…" });
 * ```
 * @module
 */
import { fitPca, projectPca } from "./pca.ts";
import type { TabularData } from "./tabular.ts";

/** Labelled rows. */
export interface LabelledRows {
  x: Float32Array;
  y: Int32Array;
}

/** A prepared set (the fields of the tabular file). */
export interface PreparedTable {
  dataset: string;
  classes: number;
  d: number;
  train: LabelledRows;
  val: LabelledRows;
  test: LabelledRows;
  featureMean: Float64Array;
  featureStd: Float64Array;
  pca?: { mean: Float64Array; components: Float64Array; variance: Float64Array };
  source: string;
}

/** Options of {@link pcaTable}. */
export interface PcaTableOptions {
  components: number;
  /** The last this many rows of the training split are the validation split (not used to fit). */
  validationSize: number;
  classes: number;
  dataset: string;
  source: string;
  /** Progress messages. */
  log?: (message: string) => void;
}

function standardise(splits: Float32Array[], d: number, n: number): { mean: Float64Array; std: Float64Array } {
  const train = splits[0], mean = new Float64Array(d), std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += train[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j] += (train[i * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) {
    std[j] = Math.sqrt(std[j]);
    if (!(std[j] > 0)) throw new Error(`Cannot standardise feature ${j}: it is constant on the training rows`);
  }
  for (const s of splits) for (let i = 0; i < s.length; i++) s[i] = (s[i] - mean[i % d]) / std[i % d];
  return { mean, std };
}

/** Principal-component features of images (rows of `rowSize` values), fitted on the training rows. */
export function pcaTable(train: LabelledRows, test: LabelledRows, o: PcaTableOptions): PreparedTable {
  const n = train.y.length, D = train.x.length / Math.max(n, 1), nTrain = n - o.validationSize;
  if (!Number.isInteger(D) || test.x.length !== test.y.length * D) throw new Error(`Cannot build PCA features: the training rows have ${D} values each, the test rows ${test.x.length / Math.max(test.y.length, 1)}`);
  if (nTrain < 2) throw new Error(`Cannot build PCA features: validation_size ${o.validationSize} leaves ${nTrain} training rows of ${n}`);
  const fitRows = train.x.subarray(0, nTrain * D);
  o.log?.(`Fitting a ${o.components}-component PCA on ${nTrain} rows of ${D} values`);
  const pca = fitPca(fitRows, nTrain, D, o.components);
  o.log?.(`PCA: ${pca.iterations} subspace iterations, residual ${pca.residual.toExponential(2)}; variance kept ${pca.variance.reduce((a, b) => a + b, 0).toFixed(2)}`);
  const k = o.components;
  const trX = projectPca(pca, fitRows, nTrain);
  const vaX = projectPca(pca, train.x.subarray(nTrain * D), o.validationSize);
  const teX = projectPca(pca, test.x, test.y.length);
  const { mean, std } = standardise([trX, vaX, teX], k, nTrain);
  return {
    dataset: o.dataset,
    classes: o.classes,
    d: k,
    train: { x: trX, y: train.y.slice(0, nTrain) },
    val: { x: vaX, y: train.y.slice(nTrain) },
    test: { x: teX, y: test.y.slice() },
    featureMean: mean,
    featureStd: std,
    pca: { mean: pca.mean, components: pca.components, variance: pca.variance },
    source: o.source,
  };
}

/** A UCI set as prepared by `loadTabular` (already filtered, split and standardised). */
export function uciTable(data: TabularData, source: string): PreparedTable {
  const rows = (t: TabularData["train"]): LabelledRows => ({ x: Float32Array.from(t.x), y: t.y });
  return {
    dataset: data.name,
    classes: data.numClasses,
    d: data.train.d,
    train: rows(data.train),
    val: rows(data.val),
    test: rows(data.test),
    featureMean: data.mean,
    featureStd: data.std,
    source,
  };
}
