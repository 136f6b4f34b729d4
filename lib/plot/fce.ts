/**
 * Figures of flow contrastive estimation (SPEC §5, the FCE seed's figures): per run, the data
 * (a 2-D histogram), the flow's density q and the EBM's density p = exp(−f − c) side by side on
 * [−m, m]²; and training curves of −V (with the chance level log 4), accuracy (with the
 * threshold) and, for 8gaussians runs, `mse_logp` on a log axis.
 *
 * Grids follow `lib/artifacts/fce_files.ts`: row-major, row index = y, column index = x, both ascending.
 *
 * @example
 * ```ts
 * import { fceCurvesFigure, fceDensityFigure, histogram2d } from "./fce.ts";
 * const r = 20, logd = new Float32Array(r * r).fill(-3);
 * const hist = histogram2d(new Float32Array([0, 0, 1, 1]), 20, 4);
 * const fig = await fceDensityFigure({ title: "demo", resolution: r, extent: 4, data: hist, flowLog: logd, ebmLog: logd });
 * const curves = fceCurvesFigure([{ label: "maf", records: [{ iter: 1, epoch: 0, model: "ebm", value: -1.3, accuracy: 0.5, seconds: 0.1 }] }], 0.6);
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { composePanels, swatchLegend } from "./compose.ts";
import { heatmapFigure } from "./heatmap.ts";
import { type Figure, plotToSvg } from "./render.ts";
import type { FceRecord } from "../artifacts/fce_files.ts";

const PANEL = { width: 420, height: 240 };
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78"];

/** Counts of `points` (interleaved x, y) in an r×r grid of cells over [−m, m]² (rows y, columns x). */
export function histogram2d(points: Float32Array, resolution: number, extent: number): Float64Array {
  const out = new Float64Array(resolution * resolution);
  const scale = resolution / (2 * extent);
  for (let i = 0; i < points.length / 2; i++) {
    const ix = Math.floor((points[2 * i] + extent) * scale), iy = Math.floor((points[2 * i + 1] + extent) * scale);
    if (ix >= 0 && ix < resolution && iy >= 0 && iy < resolution) out[iy * resolution + ix]++;
  }
  return out;
}

/** Input of {@link fceDensityFigure}. */
export interface FceDensityData {
  title?: string;
  resolution: number;
  extent: number;
  /** Data histogram on its own r×r cells over [−m, m]² (any resolution works: `dataResolution`). */
  data: ArrayLike<number>;
  dataResolution?: number;
  flowLog: ArrayLike<number>;
  ebmLog: ArrayLike<number>;
}

/** Data | flow density | EBM density, as the seed's figure (densities exp'd from the log grids). */
export async function fceDensityFigure(d: FceDensityData): Promise<Figure> {
  const r = d.resolution, m = d.extent, rd = d.dataResolution ?? r;
  for (const [name, values, n] of [["flowLog", d.flowLog, r], ["ebmLog", d.ebmLog, r], ["data", d.data, rd]] as const) {
    if (values.length !== n * n) throw new Error(`Cannot plot FCE densities: '${name}' needs ${n}×${n} values, got ${values.length}`);
  }
  const half = m / (r - 1), range: [number, number] = [-m - half, m + half];
  const exp = (v: ArrayLike<number>) => Float64Array.from(v, (x) => Math.exp(x));
  const panel = (values: ArrayLike<number>, label: string, rows = r, x: [number, number] = range) =>
    heatmapFigure({ values, rows, cols: rows, x, y: x, valueLabel: label, scheme: "turbo" });
  return composePanels([
    { title: "Data", figure: await panel(d.data, "count", rd, [-m, m]) },
    { title: "Flow density q", figure: await panel(exp(d.flowLog), "density") },
    { title: "EBM density exp(−f − c)", figure: await panel(exp(d.ebmLog), "density") },
  ], { columns: 3, title: d.title });
}

/** One run's curve data. */
export interface FceRun {
  label: string;
  records: FceRecord[];
}

/** Mean of consecutive windows of `width` steps: (step at the window end, mean). */
function smooth(records: FceRecord[], width: number, value: (r: FceRecord) => number): { iter: number; v: number }[] {
  const out: { iter: number; v: number }[] = [];
  for (let s = 0; s < records.length; s += width) {
    const w = records.slice(s, s + width);
    out.push({ iter: w[w.length - 1].iter, v: w.reduce((a, r) => a + value(r), 0) / w.length });
  }
  return out;
}

/**
 * −V, accuracy and (where recorded) `mse_logp` against the step, one colour per run. −V and
 * accuracy are averaged over windows of ~1% of the steps (the per-step values are noisy).
 */
export function fceCurvesFigure(runs: FceRun[], threshold: number, title?: string): Figure {
  if (runs.length === 0) throw new Error("Cannot plot FCE curves: no runs");
  const color = (i: number) => COLORS[i % COLORS.length];
  const line = (pick: (r: FceRecord) => number) =>
    runs.map((run, i) => Plot.line(smooth(run.records, Math.max(1, Math.round(run.records.length / 100)), pick), { x: "iter", y: "v", stroke: color(i), strokeWidth: 1.2 }));
  const axes = (label: string) => ({ x: { label: "step", grid: true }, y: { label, grid: true } });
  const negV = plotToSvg({
    ...PANEL, marginLeft: 52, ...axes("−V"),
    marks: [...line((r) => -r.value), Plot.ruleY([Math.log(4)], { stroke: "black", strokeDasharray: "5,4" })],
  });
  const acc = plotToSvg({
    ...PANEL, marginLeft: 52, ...axes("accuracy"),
    marks: [...line((r) => r.accuracy), Plot.ruleY([threshold], { stroke: "black", strokeDasharray: "5,4" })],
  });
  const legend = swatchLegend(runs.map((r, i) => ({ label: r.label, color: color(i) })), PANEL.width - 8, 14, 9);
  const panels = [
    { title: "−V (dashed: log 4, chance)", figure: negV, overlay: legend },
    { title: `Accuracy (dashed: threshold ${threshold})`, figure: acc },
  ];
  const withMse = runs.map((r, i) => ({ i, points: r.records.filter((x) => typeof x.mse_logp === "number" && x.mse_logp > 0) })).filter((r) => r.points.length > 0);
  if (withMse.length > 0) {
    panels.push({
      title: "MSE of log p vs the exact 8-Gaussian log-density",
      figure: plotToSvg({
        ...PANEL, marginLeft: 52, x: { label: "step", grid: true }, y: { label: "mse_logp", type: "log", grid: true },
        marks: [
          ...withMse.map(({ i, points }) => Plot.line(points, { x: "iter", y: "mse_logp", stroke: color(i), strokeWidth: 1.2 })),
          Plot.ruleY([0.1], { stroke: "black", strokeDasharray: "5,4" }),
        ],
      }),
    });
  }
  return composePanels(panels, { columns: panels.length, title });
}
