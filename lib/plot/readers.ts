/**
 * Readers for the files the training and sampling tasks write, turned into the plain arrays
 * the figure functions take. Errors name the file and line/field.
 *
 * - `metrics.jsonl` (train tasks): one JSON object per line, `{ "iter", "d_t", "r_t", "lr", "seconds" }`.
 * - `landscape.json` (train-toy): `{ "resolution", "extent", "true_density"?, "ebm_density"?,
 *   "kde_density"? }` (camelCase names accepted too), densities row-major with row = y, column = x.
 *
 * @example
 * ```ts
 * import { readTrainingSeries } from "./readers.ts";
 * const { iterations, d, r } = await readTrainingSeries("outputs/demo/train/metrics.jsonl");
 * ```
 * @module
 */
import type { LandscapeData } from "./landscape.ts";
import { readJson } from "../util/fs.ts";

/** Per-iteration series of a training run. */
export interface TrainingSeries {
  iterations: Float64Array;
  d: Float64Array;
  r: Float64Array;
}

/** Parses `metrics.jsonl` text (`source` names the file in errors). */
export function parseTrainingSeries(text: string, source: string): TrainingSeries {
  const iterations: number[] = [], d: number[] = [], r: number[] = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`Cannot read '${source}' line ${index + 1}: not valid JSON (${(e as Error).message})`);
    }
    for (const field of ["d_t", "r_t"]) {
      if (typeof row[field] !== "number") throw new Error(`Cannot read '${source}' line ${index + 1}: expected '${field}' to be a number, got ${JSON.stringify(row[field])}`);
    }
    iterations.push(typeof row.iter === "number" ? row.iter : iterations.length + 1);
    d.push(row.d_t as number);
    r.push(row.r_t as number);
  });
  if (d.length === 0) throw new Error(`Cannot read '${source}': no iterations recorded`);
  return { iterations: Float64Array.from(iterations), d: Float64Array.from(d), r: Float64Array.from(r) };
}

/** Reads `metrics.jsonl`. */
export async function readTrainingSeries(path: string): Promise<TrainingSeries> {
  return parseTrainingSeries(await Deno.readTextFile(path), path);
}

/** Reads `landscape.json` into {@link LandscapeData}. */
export async function readLandscape(path: string): Promise<LandscapeData> {
  const o = await readJson<Record<string, unknown>>(path);
  const field = (snake: string, camel: string) => o[snake] ?? o[camel];
  const grid = (snake: string, camel: string): number[] | undefined => {
    const v = field(snake, camel);
    if (v === undefined || v === null) return undefined;
    const flat = Array.isArray(v) && Array.isArray(v[0]) ? (v as unknown[][]).flat() : v;
    if (!Array.isArray(flat) || flat.some((x) => typeof x !== "number")) throw new Error(`Cannot read '${path}': expected '${snake}' to be an array of numbers (flat or nested rows)`);
    return flat as number[];
  };
  const resolution = field("resolution", "resolution") ?? field("viz_res", "vizRes");
  const extent = field("extent", "extent") ?? field("plot_val_max", "plotValMax");
  if (typeof resolution !== "number") throw new Error(`Cannot read '${path}': expected 'resolution' to be a number, got ${JSON.stringify(resolution)}`);
  if (typeof extent !== "number") throw new Error(`Cannot read '${path}': expected 'extent' to be a number, got ${JSON.stringify(extent)}`);
  return {
    resolution,
    extent,
    trueDensity: grid("true_density", "trueDensity"),
    ebmDensity: grid("ebm_density", "ebmDensity"),
    kdeDensity: grid("kde_density", "kdeDensity"),
  };
}
