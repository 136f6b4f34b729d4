/**
 * The paper's four-panel learning diagnostics figure (SPEC §2): energy difference d_t with the
 * zero line, average Langevin gradient magnitude r_t, cross-correlation of (d, r) at lags
 * −15..15 and auto-correlations of both at lags 0..15 (bars side by side, legend upper right).
 * Long series are drawn through {@link decimateMinMax}, so 100,000 iterations render fast and
 * look the same.
 *
 * @example
 * ```ts
 * import { diagnosticsFigure, computeCorrelations } from "./diagnostics.ts";
 * import { writeFigure } from "./render.ts";
 * const d = Float64Array.from({ length: 3000 }, (_, t) => Math.sin(t / 3));
 * const r = Float64Array.from({ length: 3000 }, (_, t) => 2 + Math.cos(t / 3));
 * const correlations = await computeCorrelations(d, r); // pass a WorkerPool to compute off-thread
 * await writeFigure("out", "diagnostics", diagnosticsFigure({ d, r, correlations }));
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { WorkerPool } from "../pool/pool.ts";
import { type CorrelationOptions, type DiagnosticCorrelations, diagnosticCorrelations } from "./correlation.ts";
import type { CorrelationJob } from "./correlation_worker.ts";
import { decimateMinMax } from "./decimate.ts";
import { composePanels, swatchLegend } from "./compose.ts";
import { type Figure, plotToSvg } from "./render.ts";

/** Colours of matplotlib's default cycle, as in the paper's figures. */
export const SERIES_COLORS = { first: "#1f77b4", second: "#ff7f0e" } as const;

/** Input of {@link diagnosticsFigure}. */
export interface DiagnosticsData {
  /** Energy difference per iteration. */
  d: ArrayLike<number>;
  /** Langevin gradient magnitude per iteration. */
  r: ArrayLike<number>;
  /** Iteration numbers of the values (default 1, 2, …). */
  iterations?: ArrayLike<number>;
  correlations: DiagnosticCorrelations;
  /** Figure title (e.g. the step id). */
  title?: string;
  /**
   * Min/max buckets per line panel (default: one per pixel column). A value ≥ n/4 draws every
   * point, which the benchmark uses as its reference.
   */
  lineBuckets?: number;
}

/**
 * Computes the correlations in the worker pool when `pool` is given (the series are copied to
 * the worker), else on this thread. Same numbers either way.
 */
export async function computeCorrelations(d: ArrayLike<number>, r: ArrayLike<number>, pool?: WorkerPool, options: CorrelationOptions = {}): Promise<DiagnosticCorrelations> {
  if (!pool) return diagnosticCorrelations(d, r, options);
  const job: CorrelationJob = { d: Float64Array.from(d), r: Float64Array.from(r), ...options };
  return await pool.run<DiagnosticCorrelations>(new URL("./correlation_worker.ts", import.meta.url), "correlations", job, [job.d.buffer as ArrayBuffer, job.r.buffer as ArrayBuffer]);
}

const PANEL_WIDTH = 400;
const PANEL_HEIGHT = 250;

function seriesPanel(values: ArrayLike<number>, iterations: ArrayLike<number> | undefined, yLabel: string, color: string, zeroLine: boolean, buckets: number): Figure {
  const { x, y } = decimateMinMax(values, buckets);
  const xs = iterations ? Float64Array.from(x, (i) => iterations[i]) : Float64Array.from(x, (i) => i + 1);
  const marks: Plot.Markish[] = [Plot.line(xs, { x: (_: number, i: number) => xs[i], y: (_: number, i: number) => y[i], stroke: color, strokeWidth: 1 })];
  if (zeroLine) marks.push(Plot.ruleY([0], { stroke: "black", strokeDasharray: "5,4" }));
  return plotToSvg({
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    marginLeft: 56,
    x: { label: "iteration (batch)", labelAnchor: "center", labelArrow: "none", tickFormat: "~s" },
    y: { label: yLabel, labelArrow: "none", grid: true, nice: true },
    marks,
  });
}

function correlationAxes(domain: [number, number]) {
  return {
    x: { label: "lag", labelAnchor: "center" as const, labelArrow: "none" as const, domain, ticks: 7 },
    y: { label: "correlation", labelArrow: "none" as const, grid: true, nice: true },
  };
}

/** Builds the 2×2 diagnostics figure (titles as in the paper's `plot_diagnostics`). */
export function diagnosticsFigure(data: DiagnosticsData): Figure {
  const { d, r, correlations: c } = data;
  if (d.length !== r.length) throw new Error(`Cannot plot diagnostics: d_t has ${d.length} values but r_t has ${r.length}`);
  if (data.iterations && data.iterations.length !== d.length) throw new Error(`Cannot plot diagnostics: ${data.iterations.length} iteration numbers for ${d.length} values`);
  const maxLag = c.autoLags.length - 1;
  const crossBars = c.lags.map((lag, i) => ({ lag, value: c.cross[i] }));
  const halfWidth = 0.35 / 2;
  const autoBars = c.autoLags.flatMap((lag, i) => [
    { series: "d", x1: lag - halfWidth * 2, x2: lag, value: c.dAuto[i] },
    { series: "r", x1: lag, x2: lag + halfWidth * 2, value: c.rAuto[i] },
  ]);
  const cross = plotToSvg({
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    marginLeft: 56,
    ...correlationAxes([-maxLag - 0.6, maxLag + 0.6]),
    marks: [
      Plot.rectY(crossBars, { x1: (b) => b.lag - 0.4, x2: (b) => b.lag + 0.4, y: "value", fill: SERIES_COLORS.first }),
      Plot.ruleY([0], { stroke: "black", strokeDasharray: "5,4" }),
    ],
  });
  const auto = plotToSvg({
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    marginLeft: 56,
    ...correlationAxes([-0.6, maxLag + 0.6]),
    marks: [
      Plot.rectY(autoBars, { x1: "x1", x2: "x2", y: "value", fill: (b) => (b.series === "d" ? SERIES_COLORS.first : SERIES_COLORS.second) }),
      Plot.ruleY([0], { stroke: "black", strokeDasharray: "5,4" }),
    ],
  });
  const legend = swatchLegend([
    { label: "en. diff. d\u209B\u209C", color: SERIES_COLORS.first },
    { label: "grad. mag. r\u209B\u209C", color: SERIES_COLORS.second },
  ], PANEL_WIDTH - 24, 22);
  const window = `last ${c.count} iterations`;
  return composePanels([
    { title: "Energy Difference", figure: seriesPanel(d, data.iterations, "d\u209B\u209C", SERIES_COLORS.first, true, data.lineBuckets ?? PANEL_WIDTH) },
    { title: "Average Langevin Gradient Magnitude", figure: seriesPanel(r, data.iterations, "r\u209B\u209C", SERIES_COLORS.first, false, data.lineBuckets ?? PANEL_WIDTH) },
    { title: `Cross Correlation of Energy Difference\nand Gradient Magnitude (${window})`, figure: cross },
    { title: `Auto-Correlation of Energy Difference\nand Gradient Magnitude (${window})`, figure: auto, overlay: legend },
  ], { columns: 2, title: data.title });
}
