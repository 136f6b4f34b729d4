/**
 * Where a MNIST-family task finds its IDX files. Config field `sources` names the places it may use;
 * they are always tried in this order, and the first one that has the files wins:
 *
 * 1. `local` — the directory in `local_path` (skipped while `local_path` is null);
 * 2. `debian` — the copy a system package installs (`debian_path`; Fashion-MNIST:
 *    `apt-get install dataset-fashion-mnist`; MNIST has none);
 * 3. `download` — the dataset's canonical mirror: resumable, MD5-checked, cached under
 *    `download_dir`, after a connection probe with a short timeout (`connect_timeout_s`);
 * 4. `embedded` — the sample committed with the project (Fashion-MNIST's published test split,
 *    `data/fashion-mnist/`, 10,000 images), only where the config lists it. On it, split `train`
 *    is images 0–7,999 and split `test` images 8,000–9,999: a fixed stand-in, labelled as such in
 *    the dataset file and the metrics.
 *
 * The default (`[local, debian, download]`) is the full dataset: `cpu` and `paper` profiles use it
 * and stop at plan time, naming every place looked at and the ways to get the data, when none has
 * it. The `smoke` profiles list only `embedded`, so their numbers are the same on every machine.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST, planSource } from "./idx_source.ts";
 * const choice = await planSource(FASHION_MNIST, { sources: ["embedded"], local_path: null, debian_path: null, mirror: FASHION_MNIST.mirror, download_dir: "outputs/.downloads", connect_timeout_s: 5 }, "train");
 * console.log(choice.kind, choice.why); // "embedded", "sources lists only embedded …"
 * ```
 * @module
 */
import { z } from "zod";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { exists } from "../util/fs.ts";

/** The places a MNIST-family task can read from, in the order they are tried. */
export const SOURCE_ORDER = ["local", "debian", "download", "embedded"] as const;
/** One place of {@link SOURCE_ORDER}. */
export type SourceKind = typeof SOURCE_ORDER[number];

/** The embedded sample: a committed copy of a dataset's published test split. */
export interface EmbeddedSample {
  /** Directory of the committed files, relative to the project root. */
  dir: string;
  /** Images of the test split that stand in for `split: train` (the rest stand in for `test`). */
  trainCount: number;
  /** Images in the committed test split. */
  total: number;
}

/** A dataset of the MNIST family: where it lives and the MD5 sums of its published .gz files. */
export interface MnistFamily {
  name: string;
  mirror: string;
  /** Where a system package installs it, with the package's install command; null when none does. */
  debian: { path: string; install: string } | null;
  md5: Record<string, string>;
  embedded: EmbeddedSample | null;
}

/** Fashion-MNIST (Zalando); Debian's dataset-fashion-mnist re-compresses the .gz files, so its copies are not MD5-checked. */
export const FASHION_MNIST: MnistFamily = {
  name: "fashion-mnist",
  mirror: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
  debian: { path: "/usr/share/datasets/fashion-mnist/", install: "sudo apt-get install dataset-fashion-mnist" },
  md5: {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
  },
  embedded: { dir: "data/fashion-mnist", trainCount: 8000, total: 10000 },
};

/** MNIST, from the mirror torchvision uses (the original site throttles). */
export const MNIST: MnistFamily = {
  name: "mnist",
  mirror: "https://ossci-datasets.s3.amazonaws.com/mnist/",
  debian: null,
  md5: {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
  },
  embedded: null,
};

/** The project root (this file is `lib/data/idx_source.ts`). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The config fields that choose the source (part of every MNIST-family task's schema). */
export function sourceSchema(family: MnistFamily) {
  return {
    /** The places the task may read from; tried in the order local → debian → download → embedded. */
    sources: z.array(z.enum(SOURCE_ORDER)).min(1).default(["local", "debian", "download"])
      .refine((list) => new Set(list).size === list.length, { message: "lists a source twice" }),
    /** Directory with the IDX files (plain or .gz) for source `local`; null: not set. */
    local_path: z.string().nullable().default(null),
    /** Where the system package's copy lives, for source `debian` (null: none). */
    debian_path: z.string().nullable().default(family.debian?.path ?? null),
    /** The canonical mirror, for source `download`. */
    mirror: z.string().url().default(family.mirror),
    download_dir: z.string().default("outputs/.downloads"),
    /** Seconds to wait for the mirror to answer before the download counts as unreachable. */
    connect_timeout_s: z.number().positive().default(5),
  };
}

/** The fields of {@link sourceSchema}, parsed. */
export interface SourceConfig {
  sources: SourceKind[];
  local_path: string | null;
  debian_path: string | null;
  mirror: string;
  download_dir: string;
  connect_timeout_s: number;
}

/** The place chosen for a run, and why. */
export interface SourceChoice {
  kind: SourceKind;
  /** Directory holding the IDX files (local, debian, embedded), or null for a download. */
  dir: string | null;
  /** Paths to fingerprint (relative to the project root when inside it). */
  inputs: string[];
  /** One sentence for the log: what was chosen and why. */
  why: string;
  /** For the embedded sample: which images of it stand in for the split. */
  range?: [number, number];
}

/** The IDX base names of a split (`train` or `t10k`), without `.gz`. */
export function idxNames(split: "train" | "test"): [string, string] {
  const prefix = split === "train" ? "train" : "t10k";
  return [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`];
}

async function hasIdx(dir: string, base: string): Promise<boolean> {
  return await exists(join(dir, `${base}.gz`)) || await exists(join(dir, base));
}

/** True when `url` answers within `timeoutS` seconds (any HTTP status counts as reachable). */
async function reachable(url: string, timeoutS: number): Promise<string | null> {
  try {
    const response = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(timeoutS * 1000) });
    await response.body?.cancel();
    return null;
  } catch (e) {
    const err = e as Error;
    if (err.name === "TimeoutError") return `no answer within ${timeoutS} s`;
    const message = err.cause instanceof Error ? err.cause.message : err.message;
    // Deno says "error sending request for url (…): client error (Connect): dns error: …": keep the reason.
    return message.replace(/^error sending request for url \([^)]*\): /, "");
  }
}

/** A path for fingerprints: relative to the project root when inside it. */
function fingerprintPath(path: string): string {
  const rel = relative(PROJECT_ROOT, path);
  return rel.startsWith("..") ? path : rel;
}

/**
 * Chooses where split `split` of `family` comes from on this machine (see the module doc), or
 * throws naming every place it looked and how to get the data.
 */
export async function planSource(family: MnistFamily, c: SourceConfig, split: "train" | "test"): Promise<SourceChoice> {
  const names = idxNames(split);
  const allowed = new Set(c.sources);
  const looked: string[] = [];
  const listed = `sources: [${c.sources.join(", ")}]`;
  const skipped: string[] = [];
  for (const kind of SOURCE_ORDER) {
    if (!allowed.has(kind)) {
      skipped.push(kind);
      continue;
    }
    const before = looked.length === 0 ? "" : `; ${looked.join("; ")}`;
    if (kind === "local") {
      if (c.local_path === null) {
        looked.push("config 'local_path' is not set");
        continue;
      }
      const missing = [];
      for (const base of names) if (!(await hasIdx(c.local_path, base))) missing.push(`${base}(.gz)`);
      if (missing.length === 0) {
        return { kind, dir: c.local_path, inputs: [c.local_path], why: `Using '${c.local_path}' (config 'local_path'; ${listed})` };
      }
      looked.push(`'${c.local_path}' (config 'local_path') lacks ${missing.join(" and ")}`);
    } else if (kind === "debian") {
      if (c.debian_path === null) {
        looked.push(`no system package provides ${family.name}`);
        continue;
      }
      const present = await hasIdx(c.debian_path, names[0]) && await hasIdx(c.debian_path, names[1]);
      if (present) {
        return { kind, dir: c.debian_path, inputs: [c.debian_path], why: `Using the system package's copy in '${c.debian_path}' (${listed}${before})` };
      }
      looked.push(`'${c.debian_path}' is missing${family.debian ? ` (${family.debian.install})` : ""}`);
    } else if (kind === "download") {
      const cached = names.map((base) => join(c.download_dir, family.name, `${base}.gz`));
      if ((await Promise.all(cached.map(exists))).every(Boolean)) {
        return { kind, dir: null, inputs: [], why: `Using the downloads cached in '${join(c.download_dir, family.name)}' (${listed}${before})` };
      }
      const url = new URL(`${names[0]}.gz`, c.mirror.endsWith("/") ? c.mirror : `${c.mirror}/`).href;
      const problem = await reachable(url, c.connect_timeout_s);
      if (problem === null) {
        return { kind, dir: null, inputs: [], why: `Downloading from ${c.mirror} into '${join(c.download_dir, family.name)}' (${listed}${before})` };
      }
      looked.push(`the mirror ${c.mirror} cannot be reached (${problem})`);
    } else {
      const sample = family.embedded;
      if (sample === null) {
        looked.push(`the project embeds no ${family.name} sample`);
        continue;
      }
      const dir = join(PROJECT_ROOT, sample.dir);
      const range: [number, number] = split === "train" ? [0, sample.trainCount] : [sample.trainCount, sample.total];
      return {
        kind,
        dir,
        inputs: [fingerprintPath(dir)],
        range,
        why: `Using the embedded sample '${sample.dir}' (${family.name}'s published test split, ${sample.total} images): ` +
          `split '${split}' is its images ${range[0]}–${range[1] - 1}, a fixed stand-in, not the real ${split} split (${listed}${before})`,
      };
    }
  }
  const ways = [
    "set config 'local_path' to a directory with the IDX files (e.g. --set <step>.local_path=DIR)",
    ...(family.debian ? [`install the system package: ${family.debian.install}`] : []),
    `allow this machine to reach ${c.mirror}`,
    ...(family.embedded && !allowed.has("embedded") ? ["or run a smoke profile (--profile smoke), which uses the embedded 10,000-image sample"] : []),
  ];
  const not = skipped.length > 0 ? ` (not tried, as ${listed}: ${skipped.join(", ")})` : "";
  throw new Error(
    `Cannot find ${family.name}'s ${split} split. Looked at: ${looked.map((l, i) => `${i + 1}. ${l}`).join("; ")}${not}. ` +
      `Ways to get it: ${ways.join("; ")}.`,
  );
}
