/**
 * Downloads the VERA seed's tabular data sets from the UCI repository into the layout
 * `lib/data/tabular.ts` reads (the seed's README, "Data"): HEPMASS's two `.csv.gz` files
 * (gunzipped), HUMAN's `UCI HAR Dataset.zip` (its train/test X and y files) and CROP's `data.zip`
 * (`WinnipegDataset.txt`). Archives are read with the project's zip module (`lib/util/zip.ts`);
 * downloads resume and retry (`download.ts`). `baseUrl` replaces the UCI directory (a mirror, or
 * a local server in tests).
 *
 * @example
 * ```ts ignore
 * import { downloadTabular } from "./tabular_download.ts";
 * await downloadTabular("human", "datasets/HUMAN");
 * ```
 * @module
 */
import { downloadFile } from "./download.ts";
import { openZip } from "../util/zip.ts";
import { writeFileAtomic } from "../util/fs.ts";
import type { TabularName } from "./tabular.ts";

interface Source {
  /** The UCI directory of the files. */
  base: string;
  /** Files downloaded: remote name → local name (gunzipped when the remote ends in .gz), or an archive's members (matched by path suffix) → local names. */
  files?: Record<string, string>;
  archive?: { name: string; members: Record<string, string> };
}

/** Where each data set comes from. */
export const TABULAR_SOURCES: Record<TabularName, Source> = {
  hepmass: { base: "https://archive.ics.uci.edu/ml/machine-learning-databases/00347/", files: { "1000_train.csv.gz": "1000_train.csv", "1000_test.csv.gz": "1000_test.csv" } },
  human: {
    base: "https://archive.ics.uci.edu/ml/machine-learning-databases/00240/",
    archive: {
      name: "UCI HAR Dataset.zip",
      members: { "train/X_train.txt": "train/X_train.txt", "train/y_train.txt": "train/y_train.txt", "test/X_test.txt": "test/X_test.txt", "test/y_test.txt": "test/y_test.txt" },
    },
  },
  crop: { base: "https://archive.ics.uci.edu/ml/machine-learning-databases/00525/", archive: { name: "data.zip", members: { "WinnipegDataset.txt": "WinnipegDataset.txt" } } },
};

async function gunzip(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`Cannot gunzip ${source}: ${(e as Error).message}`);
  }
}

/** Downloads `name` into `dir` (skipping files already there); returns the local files written. */
export async function downloadTabular(name: TabularName, dir: string, o: { baseUrl?: string; signal?: AbortSignal; log?: (m: string) => void } = {}): Promise<string[]> {
  const src = TABULAR_SOURCES[name];
  if (!src) throw new Error(`Cannot download tabular data '${name}': expected one of ${Object.keys(TABULAR_SOURCES).join(", ")}`);
  const base = o.baseUrl ?? src.base;
  const url = (file: string) => base + encodeURIComponent(file);
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  const have = async (p: string) => await Deno.stat(p).then(() => true, () => false);
  for (const [remote, local] of Object.entries(src.files ?? {})) {
    const dest = `${dir}/${local}`;
    if (await have(dest)) continue;
    const tmp = await downloadFile({ url: url(remote), dest: `${dir}/${remote}`, md5: null, signal: o.signal, log: o.log });
    const bytes = await Deno.readFile(tmp);
    await writeFileAtomic(dest, remote.endsWith(".gz") ? await gunzip(bytes, `'${tmp}'`) : bytes);
    await Deno.remove(tmp);
    written.push(dest);
  }
  if (src.archive) {
    const targets = Object.entries(src.archive.members);
    const missing = [];
    for (const t of targets) if (!(await have(`${dir}/${t[1]}`))) missing.push(t);
    if (missing.length > 0) {
      const path = await downloadFile({ url: url(src.archive.name), dest: `${dir}/${src.archive.name}`, md5: null, signal: o.signal, log: o.log });
      const zip = openZip(await Deno.readFile(path), `'${path}'`);
      for (const [member, local] of missing) {
        const found = zip.names().filter((n) => n === member || n.endsWith(`/${member}`));
        if (found.length !== 1) throw new Error(`Cannot extract '${member}' from '${path}': found ${found.length} matching entries (entries: ${zip.names().slice(0, 10).join(", ")}${zip.names().length > 10 ? ", …" : ""})`);
        const dest = `${dir}/${local}`;
        await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
        await writeFileAtomic(dest, await zip.read(found[0]));
        written.push(dest);
      }
      await Deno.remove(path);
    }
  }
  return written;
}
