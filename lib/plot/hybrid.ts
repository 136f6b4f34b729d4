/**
 * Figures of the joint classifier-EBM (SPEC §6), drawn from the data its steps write:
 * - `hybridTrainingFigure`: per-epoch train / validation accuracy, per-iteration cross-entropy and
 *   contrastive term d_t, mean energies of data and negatives;
 * - `reliabilityFigure`: accuracy per confidence bin against the diagonal, with the ECE;
 * - `energyHistogramFigure`: energies of test images, uniform noise and short-run samples;
 * - `comparisonFigure`: test accuracy and ECE of several runs side by side.
 *
 * @example
 * ```ts ignore
 * import { reliabilityFigure } from "./hybrid.ts";
 * import { writeFigure } from "./render.ts";
 * await writeFigure("out", "reliability", reliabilityFigure(result.reliability, result.ece, "hybrid"));
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { EpochRecord } from "../artifacts/hybrid_epochs.ts";
import type { ReliabilityBin } from "../artifacts/hybrid_eval.ts";
import type { IterationRecord } from "../artifacts/metrics_log.ts";
import { composePanels, swatchLegend } from "./compose.ts";
import { decimateMinMax } from "./decimate.ts";
import { type Figure, plotToSvg } from "./render.ts";

const W = 400, H = 250;
const COLORS = { a: "#1f77b4", b: "#ff7f0e", c: "#2ca02c" } as const;

function lineOf(values: number[], color: string, buckets = W): Plot.Markish {
  const { x, y } = decimateMinMax(values, buckets);
  const xs = Float64Array.from(x, (i) => i + 1);
  return Plot.line(xs, { x: (_: number, i: number) => xs[i], y: (_: number, i: number) => y[i], stroke: color, strokeWidth: 1 });
}

function iterationPanel(series: { values: number[]; color: string }[], yLabel: string, zero = false): Figure {
  const marks = series.filter((s) => s.values.length > 0).map((s) => lineOf(s.values, s.color));
  if (zero) marks.push(Plot.ruleY([0], { stroke: "black", strokeDasharray: "5,4" }));
  return plotToSvg({
    width: W, height: H, marginLeft: 56,
    x: { label: "iteration (batch)", labelAnchor: "center", labelArrow: "none", tickFormat: "~s" },
    y: { label: yLabel, labelArrow: "none", grid: true, nice: true },
    marks,
  });
}

/** Training curves of one run. */
export function hybridTrainingFigure(epochs: EpochRecord[], iterations: IterationRecord[], title: string): Figure {
  const acc = epochs.flatMap((e) => [
    { epoch: e.epoch, value: e.train_accuracy, series: "train" },
    ...(e.val_accuracy === null ? [] : [{ epoch: e.epoch, value: e.val_accuracy, series: "validation" }]),
  ]);
  const accuracy = plotToSvg({
    width: W, height: H, marginLeft: 56,
    x: { label: "epoch", labelAnchor: "center", labelArrow: "none", ticks: Math.min(epochs.length, 10) },
    y: { label: "accuracy", labelArrow: "none", grid: true, nice: true },
    marks: [
      Plot.line(acc, { x: "epoch", y: "value", stroke: (d) => (d.series === "train" ? COLORS.a : COLORS.b), z: "series" }),
      Plot.dot(acc, { x: "epoch", y: "value", fill: (d) => (d.series === "train" ? COLORS.a : COLORS.b), r: 3 }),
    ],
  });
  const col = (k: string) => iterations.map((r) => r[k]).filter((v) => typeof v === "number");
  return composePanels([
    { title: "Accuracy per epoch", figure: accuracy, overlay: swatchLegend([{ label: "train (batch mean)", color: COLORS.a }, { label: "validation", color: COLORS.b }], W - 24, 22) },
    { title: "Cross-entropy", figure: iterationPanel([{ values: col("ce"), color: COLORS.a }], "CE(s_real, y)") },
    { title: "Contrastive term d = mean E(real) − mean E(sample)", figure: iterationPanel([{ values: col("d_t"), color: COLORS.a }], "d", true) },
    {
      title: "Mean energies",
      figure: iterationPanel([{ values: col("energy_real"), color: COLORS.a }, { values: col("energy_sample"), color: COLORS.b }], "E"),
      overlay: swatchLegend([{ label: "data", color: COLORS.a }, { label: "negatives", color: COLORS.b }], W - 24, 22),
    },
  ], { columns: 2, title });
}

/** Reliability diagram: accuracy per confidence bin (bars) against perfect calibration (diagonal). */
export function reliabilityFigure(bins: ReliabilityBin[], ece: number, title: string): Figure {
  const filled = bins.filter((b) => b.count > 0);
  const figure = plotToSvg({
    width: W, height: W, marginLeft: 56,
    x: { label: "confidence", labelAnchor: "center", labelArrow: "none", domain: [0, 1] },
    y: { label: "accuracy", labelArrow: "none", domain: [0, 1], grid: true },
    marks: [
      Plot.rectY(filled, { x1: "lo", x2: "hi", y: (b: ReliabilityBin) => b.accuracy, fill: COLORS.a, inset: 0.5 }),
      Plot.line([[0, 0], [1, 1]], { stroke: "black", strokeDasharray: "5,4" }),
      Plot.dot(filled, { x: (b: ReliabilityBin) => b.confidence, y: (b: ReliabilityBin) => b.confidence, fill: COLORS.b, r: 2 }),
    ],
  });
  return composePanels([{ title: `${title}: ECE ${(100 * ece).toFixed(2)}% (${bins.length} bins)`, figure }], { columns: 1 });
}

/** Histograms of energies: test images, uniform noise, short-run samples, each as a fraction of its own set, overlaid (not stacked). */
export function energyHistogramFigure(energies: { test: ArrayLike<number>; noise: ArrayLike<number>; samples: ArrayLike<number> }, title: string, bins = 60): Figure {
  const sets = [
    { set: "test images", values: energies.test, color: COLORS.a },
    { set: "uniform noise", values: energies.noise, color: COLORS.b },
    { set: "short-run samples", values: energies.samples, color: COLORS.c },
  ];
  let lo = Infinity, hi = -Infinity;
  for (const { values } of sets) for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) lo = Math.min(lo, values[i]), hi = Math.max(hi, values[i]);
  if (!(hi > lo)) hi = lo + 1;
  const width = (hi - lo) / bins;
  const rects = sets.flatMap(({ set, values, color }) => {
    const counts = new Float64Array(bins);
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) counts[Math.min(bins - 1, Math.floor((values[i] - lo) / width))]++;
    return Array.from(counts, (c, b) => ({ set, color, x1: lo + b * width, x2: lo + (b + 1) * width, p: values.length ? c / values.length : 0 })).filter((r) => r.p > 0);
  });
  const figure = plotToSvg({
    width: 2 * W, height: H, marginLeft: 56,
    x: { label: "energy E(x)", labelAnchor: "center", labelArrow: "none" },
    y: { label: "fraction of its set", labelArrow: "none", grid: true },
    marks: [Plot.rect(rects, { x1: "x1", x2: "x2", y1: 0, y2: "p", fill: (r: { color: string }) => r.color, fillOpacity: 0.55 })],
  });
  const legend = swatchLegend(sets.map(({ set, color }) => ({ label: set, color })), 2 * W - 24, 22);
  return composePanels([{ title, figure, overlay: legend }], { columns: 1 });
}

/** One row per run: test accuracy and ECE. */
export interface ComparisonRow {
  run: string;
  test_accuracy: number;
  ece: number;
}

/** Test accuracy and ECE of several runs side by side. */
export function comparisonFigure(rows: ComparisonRow[], title: string): Figure {
  const bars = (key: "test_accuracy" | "ece", label: string) =>
    plotToSvg({
      width: W, height: H, marginLeft: 56, marginBottom: 40,
      x: { label: null, domain: rows.map((r) => r.run), padding: 0.3 },
      y: { label, labelArrow: "none", grid: true, nice: true },
      marks: [
        Plot.barY(rows, { x: "run", y: key, fill: COLORS.a }),
        Plot.text(rows, { x: "run", y: key, text: (r: ComparisonRow) => (100 * r[key]).toFixed(2) + "%", dy: -8 }),
      ],
    });
  return composePanels([
    { title: "Test accuracy", figure: bars("test_accuracy", "accuracy") },
    { title: "Expected calibration error", figure: bars("ece", "ECE") },
  ], { columns: 2, title });
}
