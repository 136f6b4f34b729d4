/**
 * The toy-landscape figure of the paper's `plot_toy_density`: densities on the top row and
 * log-densities (`log(p + 1e-10)`) on the bottom row, in the column order true density, EBM
 * density, short-run KDE (absent ones are skipped, as in the paper). Heatmaps show x to the right
 * and y up by default.
 *
 * Input grids (what `train-toy` should write, e.g. as `landscape.json` with these field names):
 * `resolution` r, `extent` m (the grid spans [−m, m]² with r points per axis, `linspace`
 * semantics), and each density a row-major r×r array with **row index = y, column index = x**
 * (both ascending). Note: the paper's code stores its true density transposed (rows = x) and
 * draws all three with `imshow`'s default origin (row 0 at the top); `yUp: false` reproduces
 * that vertical flip if a pixel-identical layout is wanted.
 *
 * @example
 * ```ts
 * import { landscapeFigure } from "./landscape.ts";
 * const r = 40, m = 2;
 * const grid = Float64Array.from({ length: r * r }, (_, i) => Math.exp(-(((i % r) - 20) ** 2) / 50));
 * const figure = await landscapeFigure({ resolution: r, extent: m, trueDensity: grid, kdeDensity: grid });
 * ```
 * @module
 */
import { composePanels, type Panel } from "./compose.ts";
import { heatmapFigure } from "./heatmap.ts";
import type { Figure } from "./render.ts";

/** Input of {@link landscapeFigure} (see the module doc for the grid layout). */
export interface LandscapeData {
  resolution: number;
  extent: number;
  trueDensity?: ArrayLike<number>;
  ebmDensity?: ArrayLike<number>;
  kdeDensity?: ArrayLike<number>;
  title?: string;
  /** Default true: y grows upwards. */
  yUp?: boolean;
  /** Name of the sampler whose KDE `kdeDensity` is (default "Short-run"; e.g. "Generator"). */
  kdeLabel?: string;
}

/** The paper's floor inside the log, so zero density draws as log(1e-10) ≈ −23. */
export const LOG_DENSITY_FLOOR = 1e-10;

/** `log(p + 1e-10)` elementwise, as the paper's log-density panels. */
export function logDensity(density: ArrayLike<number>): Float64Array {
  return Float64Array.from(density, (p) => Math.log(p + LOG_DENSITY_FLOOR));
}

/** Builds the 2×k landscape figure (k = number of densities given, 1..3). */
export async function landscapeFigure(data: LandscapeData): Promise<Figure> {
  const { resolution: r, extent: m } = data;
  if (!Number.isInteger(r) || r < 2) throw new Error(`Cannot plot the landscape: expected 'resolution' to be a whole number ≥ 2, got ${r}`);
  if (!(m > 0)) throw new Error(`Cannot plot the landscape: expected 'extent' to be positive, got ${m}`);
  const kdeName = data.kdeLabel ?? "Short-run";
  const columns = ([["trueDensity", "True"], ["ebmDensity", "EBM"], ["kdeDensity", kdeName]] as const)
    .filter(([key]) => data[key] !== undefined)
    .map(([key, name]) => ({ key, name, values: data[key]! }));
  if (columns.length === 0) throw new Error("Cannot plot the landscape: no density given (trueDensity, ebmDensity or kdeDensity)");
  for (const c of columns) {
    if (c.values.length !== r * r) throw new Error(`Cannot plot the landscape: '${c.key}' needs ${r}×${r} = ${r * r} values, got ${c.values.length}`);
  }
  // linspace(−m, m, r): cell centres at the grid points, so the image spans half a step further.
  const half = m / (r - 1);
  const range: [number, number] = [-m - half, m + half];
  const make = (values: ArrayLike<number>, label: string) =>
    heatmapFigure({ values, rows: r, cols: r, x: range, y: range, yUp: data.yUp ?? true, valueLabel: label });
  const top: Panel[] = [], bottom: Panel[] = [];
  for (const c of columns) {
    const density = c.key === "kdeDensity" ? `${c.name} KDE` : `${c.name} density`;
    const log = c.key === "kdeDensity" ? `${c.name} log-KDE` : `${c.name} log-density`;
    top.push({ title: density, figure: await make(c.values, "density") });
    bottom.push({ title: log, figure: await make(logDensity(c.values), "log-density") });
  }
  return composePanels([...top, ...bottom], { columns: columns.length, title: data.title });
}
