/**
 * `landscape.json` (and `landscapes/landscape_<iter>.json`), written by `train-toy`: owner of its
 * schema, writer and reader. Fields: `iteration`, `resolution`, `extent`, `kl_true_ebm`,
 * `kl_true_kde`, and the densities `true_density`, `ebm_density`, `kde_density` with their logs
 * (`*_log_density`), row-major with row = y, column = x, 6 significant digits, null for
 * non-finite values. The reader also accepts camelCase names and nested rows (files drawn by
 * other tools); a missing or mistyped field is an error naming the file and the field.
 *
 * @example
 * ```ts ignore
 * import { readLandscapeFile, writeLandscapeFile } from "./landscape_file.ts";
 * await writeLandscapeFile("out/landscape.json", landscape);
 * const { resolution, extent, ebmDensity } = await readLandscapeFile("out/landscape.json");
 * ```
 * @module
 */
import { readJson, writeJsonAtomic } from "../util/fs.ts";

/** The file name `train-toy` writes its final landscape under. */
export const LANDSCAPE_FILE = "landscape.json";

/** A toy model's landscape at one iteration, as training computes it. */
export interface ToyLandscape {
  iteration: number;
  resolution: number;
  extent: number;
  kl_true_ebm: number;
  kl_true_kde: number;
  true_density: Float64Array;
  true_log_density: Float64Array;
  ebm_density: Float64Array;
  ebm_log_density: Float64Array;
  kde_density: Float64Array;
  kde_log_density: Float64Array;
}

/** What a landscape file gives a figure: the grid and whichever densities it holds. */
export interface LandscapeGrids {
  resolution: number;
  extent: number;
  /** Present in files written by training. */
  iteration?: number;
  kl_true_ebm?: number;
  kl_true_kde?: number;
  trueDensity?: number[];
  ebmDensity?: number[];
  kdeDensity?: number[];
}

const round = (a: Float64Array) => Array.from(a, (v) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null));

/**
 * The JSON form of a landscape (6 significant digits).
 *
 * @example
 * ```ts ignore
 * const json = landscapeJson(landscape); // { iteration, resolution, extent, kl_true_ebm, …, kde_log_density }
 * ```
 */
export function landscapeJson(l: ToyLandscape): Record<string, unknown> {
  return {
    iteration: l.iteration, resolution: l.resolution, extent: l.extent, kl_true_ebm: l.kl_true_ebm, kl_true_kde: l.kl_true_kde,
    true_density: round(l.true_density), true_log_density: round(l.true_log_density),
    ebm_density: round(l.ebm_density), ebm_log_density: round(l.ebm_log_density),
    kde_density: round(l.kde_density), kde_log_density: round(l.kde_log_density),
  };
}

/**
 * Writes a landscape file atomically.
 *
 * @example
 * ```ts ignore
 * await writeLandscapeFile(`${dir}/landscape.json`, landscape);
 * ```
 */
export async function writeLandscapeFile(path: string, l: ToyLandscape): Promise<void> {
  await writeJsonAtomic(path, landscapeJson(l));
}

/**
 * Reads a landscape file into {@link LandscapeGrids}.
 *
 * @example
 * ```ts ignore
 * const grids = await readLandscapeFile("outputs/anatomy-toy/gmm-convergent/landscape.json");
 * ```
 */
export async function readLandscapeFile(path: string): Promise<LandscapeGrids> {
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
  const optionalNumber = (name: string): number | undefined => {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number") throw new Error(`Cannot read '${path}': expected '${name}' to be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    resolution,
    extent,
    iteration: optionalNumber("iteration"),
    kl_true_ebm: optionalNumber("kl_true_ebm"),
    kl_true_kde: optionalNumber("kl_true_kde"),
    trueDensity: grid("true_density", "trueDensity"),
    ebmDensity: grid("ebm_density", "ebmDensity"),
    kdeDensity: grid("kde_density", "kdeDensity"),
  };
}
