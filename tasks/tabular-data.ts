/**
 * `tabular-data`: a tabular classification set for VERA's semi-supervised runs (SPEC §7), written
 * as `tabular.safetensors` (`lib/artifacts/tabular_file.ts`).
 *
 * - `dataset: fashion-mnist-pca` (the default; offline): the principal components of the images
 *   of two upstream image steps (`train_from`, `test_from`, e.g. `fashion-mnist` train and test),
 *   fitted deterministically on the training split minus its last `validation_size` images (the
 *   validation split) and standardised with the training rows' statistics; the PCA's mean,
 *   components and variances are stored with the features (`lib/data/tabular_sets.ts`).
 * - `dataset: hepmass | human | crop` (for users with a network): the VERA seed's files, from
 *   `local_path` or downloaded from UCI (`base_url`) into `download_dir/<dataset>`, filtered, split
 *   and standardised as the seed does (`lib/data/tabular.ts`). Upstream steps are ignored.
 *
 * @example
 * ```yaml
 * steps:
 *   data: { task: fashion-mnist, config: { split: train, im_sz: 28, fit: pad } }
 *   data-test: { task: fashion-mnist, config: { split: test, im_sz: 28, fit: pad } }
 *   features: { task: tabular-data, needs: [data, data-test], config: { components: 50 } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask, type TaskContext } from "../lib/task.ts";
import { DATASET_FILE, readImageDataset } from "../lib/data/dataset_file.ts";
import { loadTabular, TABULAR_DATASETS, type TabularName } from "../lib/data/tabular.ts";
import { downloadTabular, TABULAR_SOURCES } from "../lib/data/tabular_download.ts";
import { pcaTable, type PreparedTable, uciTable } from "../lib/data/tabular_sets.ts";
import { TABULAR_FILE, writeTabularFile } from "../lib/artifacts/tabular_file.ts";

export const TabularDataConfig = z.strictObject({
  dataset: z.enum(["fashion-mnist-pca", "hepmass", "human", "crop"]).default("fashion-mnist-pca"),
  /** (PCA) Number of principal components kept. */
  components: z.number().int().positive().default(50),
  /** (PCA) The last this many images of the training split form the validation split (not fitted). */
  validation_size: z.number().int().nonnegative().default(5000),
  /** (PCA) Step ids of the upstream training and test image steps. */
  train_from: z.string().default("data"),
  test_from: z.string().default("data-test"),
  /** (UCI) A directory holding the seed's files; null: download them. */
  local_path: z.string().nullable().default(null),
  /** (UCI) Where downloads are cached (`<download_dir>/<dataset>`). */
  download_dir: z.string().default("outputs/.downloads"),
  /** (UCI) The directory URL to download from; null: UCI's for the dataset. */
  base_url: z.string().url().nullable().default(null),
});
export type TabularDataConfig = z.output<typeof TabularDataConfig>;

async function imageRows(ctx: TaskContext<TabularDataConfig>, id: string): Promise<{ x: Float32Array; y: Int32Array; source: string }> {
  const input = ctx.inputs.find((i) => i.id === id);
  if (!input) throw new Error(`Cannot build PCA features: no upstream step '${id}' (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"}); set 'train_from'/'test_from'`);
  const path = join(input.dir, DATASET_FILE);
  const ds = await readImageDataset(path);
  if (!ds.labels) throw new Error(`Cannot build PCA features: '${path}' has no labels`);
  return { x: ds.images, y: ds.labels, source: ds.metadata.source ?? id };
}

export default defineTask({
  name: "tabular-data",
  description: "Writes a tabular classification set: PCA features of upstream images (offline) or the VERA seed's HEPMASS/HUMAN/CROP.",
  config: TabularDataConfig,
  async run(ctx) {
    const c = ctx.config;
    let table: PreparedTable;
    if (c.dataset === "fashion-mnist-pca") {
      const train = await imageRows(ctx, c.train_from), test = await imageRows(ctx, c.test_from);
      table = pcaTable(train, test, {
        components: c.components,
        validationSize: c.validation_size,
        classes: 10,
        dataset: `fashion-mnist-pca${c.components}`,
        source: `PCA of '${c.train_from}' (${train.source}) and '${c.test_from}' (${test.source})`,
        log: (m) => ctx.log.info(m),
      });
    } else {
      const name = c.dataset as TabularName;
      let dir = c.local_path;
      if (!dir) {
        dir = join(c.download_dir, name);
        ctx.log.info(`Downloading ${name} from ${c.base_url ?? TABULAR_SOURCES[name].base} into '${dir}' (files already there are kept)`);
        await downloadTabular(name, dir, { baseUrl: c.base_url ?? undefined, signal: ctx.signal, log: (m) => ctx.log.info(m) });
      }
      table = uciTable(await loadTabular(name, dir, ctx.seed), `the VERA seed's ${name} files in '${dir}'`);
      if (table.classes !== TABULAR_DATASETS[name]) throw new Error(`Cannot prepare ${name}: expected ${TABULAR_DATASETS[name]} classes, got ${table.classes}`);
    }
    await writeTabularFile(join(ctx.outDir, TABULAR_FILE), table);
    ctx.log.info(`${table.dataset}: ${table.train.y.length} training, ${table.val.y.length} validation, ${table.test.y.length} test rows of ${table.d} features, ${table.classes} classes`);
    await ctx.writeMetrics({ dataset: table.dataset, features: table.d, classes: table.classes, train_rows: table.train.y.length, val_rows: table.val.y.length, test_rows: table.test.y.length });
  },
});
