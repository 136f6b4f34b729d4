/**
 * `tabular.safetensors`: a prepared tabular classification set (owner: schema, writer, reader) —
 * what `tabular-data` writes and the VERA semi-supervised training reads.
 *
 * Tensors: `train_x`, `val_x`, `test_x` F32 [n, d] (standardised features), `train_y`, `val_y`,
 * `test_y` I32 [n] (labels 0…classes−1), `feature_mean`, `feature_std` F64 [d] (the training
 * statistics the features were standardised with). When the features are principal components
 * of images, also `pca_mean` F64 [D], `pca_components` F64 [d, D] (orthonormal rows) and
 * `pca_variance` F64 [d]: feature j of a row x is (((x − pca_mean)·pca_components[j]) −
 * feature_mean[j]) / feature_std[j]. Metadata: `format` ("ebm-tabular/1"), `dataset`, `classes`,
 * `source` (a sentence: where the rows came from). A reader error names the file and the tensor.
 *
 * @example
 * ```ts ignore
 * import { readTabularFile, writeTabularFile } from "./tabular_file.ts";
 * await writeTabularFile("out/tabular.safetensors", set);
 * const back = await readTabularFile("out/tabular.safetensors"); // same arrays
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** File name inside the data step's output. */
export const TABULAR_FILE = "tabular.safetensors";
export const TABULAR_FORMAT = "ebm-tabular/1";

/** One split: rows of `d` features and their labels. */
export interface TabularSplit {
  x: Float32Array;
  y: Int32Array;
}

/** The PCA the features were computed with. */
export interface TabularPca {
  mean: Float64Array;
  /** [d, inputDim] row-major. */
  components: Float64Array;
  variance: Float64Array;
}

/** A prepared tabular set. */
export interface TabularSet {
  dataset: string;
  classes: number;
  /** Features per row. */
  d: number;
  train: TabularSplit;
  val: TabularSplit;
  test: TabularSplit;
  featureMean: Float64Array;
  featureStd: Float64Array;
  pca?: TabularPca;
  source: string;
}

const SPLITS = ["train", "val", "test"] as const;

function check(set: TabularSet, where: string): void {
  const { d, classes } = set;
  if (!(Number.isInteger(d) && d > 0)) throw new Error(`${where}: 'd' must be a positive whole number, got ${d}`);
  if (!(Number.isInteger(classes) && classes >= 2)) throw new Error(`${where}: 'classes' must be at least 2, got ${classes}`);
  for (const s of SPLITS) {
    const { x, y } = set[s];
    if (x.length !== y.length * d) throw new Error(`${where}: '${s}_x' has ${x.length} values for ${y.length} labels of ${d} features`);
    for (let i = 0; i < y.length; i++) {
      if (!(y[i] >= 0 && y[i] < classes)) throw new Error(`${where}: '${s}_y' row ${i} has label ${y[i]}, expected 0…${classes - 1}`);
    }
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) throw new Error(`${where}: '${s}_x' row ${Math.floor(i / d)} feature ${i % d} is ${x[i]}`);
    }
  }
  if (set.train.y.length === 0) throw new Error(`${where}: the training split is empty`);
  if (set.featureMean.length !== d || set.featureStd.length !== d) throw new Error(`${where}: 'feature_mean'/'feature_std' must have ${d} values`);
  if (set.pca) {
    const D = set.pca.mean.length;
    if (set.pca.components.length !== d * D || set.pca.variance.length !== d) throw new Error(`${where}: 'pca_components' must be [${d}, ${D}] and 'pca_variance' [${d}]`);
  }
}

/** Encodes the set (validated first). */
export function encodeTabularFile(set: TabularSet): Uint8Array {
  check(set, "Cannot write the tabular set");
  const tensors: Record<string, NamedTensor> = {};
  for (const s of SPLITS) {
    const n = set[s].y.length;
    tensors[`${s}_x`] = { dtype: "F32", shape: [n, set.d], data: set[s].x };
    tensors[`${s}_y`] = { dtype: "I32", shape: [n], data: set[s].y };
  }
  tensors.feature_mean = { dtype: "F64", shape: [set.d], data: set.featureMean };
  tensors.feature_std = { dtype: "F64", shape: [set.d], data: set.featureStd };
  if (set.pca) {
    const D = set.pca.mean.length;
    tensors.pca_mean = { dtype: "F64", shape: [D], data: set.pca.mean };
    tensors.pca_components = { dtype: "F64", shape: [set.d, D], data: set.pca.components };
    tensors.pca_variance = { dtype: "F64", shape: [set.d], data: set.pca.variance };
  }
  return encodeSafetensors(tensors, { format: TABULAR_FORMAT, dataset: set.dataset, classes: String(set.classes), source: set.source });
}

/** Writes `tabular.safetensors` atomically. */
export async function writeTabularFile(path: string, set: TabularSet): Promise<void> {
  await writeFileAtomic(path, encodeTabularFile(set));
}

/** Parses the file's bytes; `source` names it in errors. */
export function decodeTabularFile(bytes: Uint8Array, source = TABULAR_FILE): TabularSet {
  const where = `Cannot read ${source}`;
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format !== TABULAR_FORMAT) throw new Error(`${where}: metadata 'format' should be '${TABULAR_FORMAT}', got '${metadata.format}'`);
  const tensor = (key: string, dtype: string) => {
    const t = tensors[key];
    if (!t) throw new Error(`${where}: tensor '${key}' is missing`);
    if (t.dtype !== dtype) throw new Error(`${where}: tensor '${key}' has dtype ${t.dtype}, expected ${dtype}`);
    return t;
  };
  const trainX = tensor("train_x", "F32");
  if (trainX.shape.length !== 2) throw new Error(`${where}: tensor 'train_x' should be [n, d], got [${trainX.shape}]`);
  const d = trainX.shape[1];
  const split = (s: string): TabularSplit => ({ x: tensor(`${s}_x`, "F32").data as Float32Array, y: tensor(`${s}_y`, "I32").data as Int32Array });
  const set: TabularSet = {
    dataset: metadata.dataset ?? "",
    classes: Number(metadata.classes),
    d,
    train: split("train"),
    val: split("val"),
    test: split("test"),
    featureMean: tensor("feature_mean", "F64").data as Float64Array,
    featureStd: tensor("feature_std", "F64").data as Float64Array,
    source: metadata.source ?? "",
  };
  if (tensors.pca_components) {
    set.pca = { mean: tensor("pca_mean", "F64").data as Float64Array, components: tensor("pca_components", "F64").data as Float64Array, variance: tensor("pca_variance", "F64").data as Float64Array };
  }
  check(set, where);
  return set;
}

/** Reads `tabular.safetensors`. */
export async function readTabularFile(path: string): Promise<TabularSet> {
  return decodeTabularFile(await Deno.readFile(path), `'${path}'`);
}

/** The one upstream step with `tabular.safetensors`. */
export function findTabularInput(ctx: { inputWith(file: string, what: string, hint?: string): { dir: string } }): string {
  return `${ctx.inputWith(TABULAR_FILE, "Cannot find the tabular data", "add a tabular-data step to 'needs'").dir}/${TABULAR_FILE}`;
}
