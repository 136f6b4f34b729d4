/**
 * The auto-α spectrum of ADELM (`lib/adelm/auto_alpha.ts`): the critical pull α·T of every
 * calibration pair, sorted, on a log axis, with what a user choosing α needs beside it: the chosen
 * α·T as a labelled rule, the gap rule's range shaded, the widest gap marked when the gap rule
 * chose α, travel-limited pairs (their critical α only measures `ad.max_steps`) in their own
 * colour next to the travel pull series, and never-connected pairs (α = ∞) at the top edge.
 *
 * Input: `parameters.auto_alpha` of `basins.json` (written by `basin-cluster` with
 * `ad.alpha: auto`), as `readBasinsFile` (`lib/artifacts/basins_file.ts`) returns it: JSON has no
 * Infinity, so a never-connected pair's `alpha`/`pull` arrive as `null` and the reader turns them
 * back into Infinity.
 *
 * @example
 * ```ts ignore
 * import { alphaSpectrumFigure } from "./alpha_spectrum.ts";
 * import { writeFigure } from "./render.ts";
 * const spectrum = (await readBasinsFile("basins.json")).autoAlpha;
 * if (spectrum && spectrum.curve.length > 0) await writeFigure("out", "alpha-spectrum", alphaSpectrumFigure(spectrum, { title: "basins" }));
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { AlphaSpectrum, SpectrumPoint } from "../artifacts/basins_file.ts";
import { composePanels, type SwatchItem, swatchLegend } from "./compose.ts";
import type { Figure } from "./render.ts";
import { plotToSvg } from "./render.ts";





/** Counts shown in the title and returned as metrics. */
export interface SpectrumCounts {
  pairs: number;
  neverConnected: number;
  travelLimited: number;
  landscapeCarried: number;
}

/** How many pairs the spectrum has, never connected, travel-limited, and carried by the landscape. */
export function spectrumCounts(spectrum: AlphaSpectrum): SpectrumCounts {
  return {
    pairs: spectrum.curve.length,
    neverConnected: spectrum.curve.filter((p) => !Number.isFinite(p.pull)).length,
    travelLimited: spectrum.curve.filter((p) => p.travel_limited).length,
    landscapeCarried: spectrum.curve.filter((p) => p.landscape_carried).length,
  };
}

/** Options of {@link alphaSpectrumFigure}. */
export interface AlphaSpectrumOptions {
  /** Figure title (e.g. the step id); the rule and the counts are added. */
  title?: string;
}

/** Colours: matplotlib's cycle, as in the other figures. */
const COLORS = {
  critical: "#1f77b4",
  travelLimited: "#ff7f0e",
  carried: "#9467bd",
  travel: "#7f7f7f",
  never: "#d62728",
  chosen: "#000000",
  range: "#2ca02c",
} as const;

/** A white outline under labels drawn over points and grid lines (Plot leaves fill "none" once stroke is set). */
const HALO = { fill: "black", stroke: "white", strokeWidth: 3, paintOrder: "stroke" } as const;

const PLOT_WIDTH = 620;
const LEGEND_WIDTH = 340;
const HEIGHT = 380;

/** `digits` significant digits, in exponent form outside [1e-3, 1e5) so small pulls stay legible. */
export function formatValue(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return "∞";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(digits - 1) : Number(v.toPrecision(digits)).toString();
}

/** Splits `text` into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join("\n");
}

/**
 * Builds the spectrum figure: x = rank of the pair in the sorted spectrum, y = critical pull α·T
 * (log). Every point carries an SVG `<title>` naming its pair, for reading values off the SVG.
 */
export function alphaSpectrumFigure(spectrum: AlphaSpectrum, options: AlphaSpectrumOptions = {}): Figure {
  if (spectrum.curve.length === 0) throw new Error("Cannot draw the auto-α spectrum: the curve has no points");
  // the writer sorts by α; sort again (∞ last, stable) so the rank axis holds for any valid file
  const points = spectrum.curve.map((p, i) => ({ p, i })).sort((a, b) => (a.p.pull === b.p.pull ? a.i - b.i : a.p.pull < b.p.pull ? -1 : 1))
    .map(({ p }, k) => ({ ...p, rank: k + 1 }));
  const n = points.length;
  const temperature = spectrum.pull / spectrum.alpha;
  const travelPull = (p: SpectrumPoint) => p.travel_alpha * temperature;
  const finite = points.filter((p) => Number.isFinite(p.pull));
  const never = points.filter((p) => !Number.isFinite(p.pull));
  const plain = finite.filter((p) => !p.travel_limited && !p.landscape_carried);
  const limited = finite.filter((p) => p.travel_limited && !p.landscape_carried);
  const carried = finite.filter((p) => p.landscape_carried);
  const withTravel = points.filter((p) => Number.isFinite(travelPull(p)) && travelPull(p) > 0);

  const shown = [spectrum.pull, ...finite.map((p) => p.pull), ...withTravel.map(travelPull)];
  const lo = Math.min(...shown), hi = Math.max(...shown);
  // at least a decade of room so a tight spectrum still shows ticks; ∞ sits in a band above hi
  const span = Math.max(Math.log(hi / lo), Math.log(10));
  const yLow = lo * Math.exp(-0.08 * span);
  const yInfinity = never.length > 0 ? hi * Math.exp(0.16 * span) : hi;
  const yTop = yInfinity * Math.exp(0.1 * span);

  const pairLabel = (p: SpectrumPoint & { rank: number }) =>
    `#${p.rank} pair [${p.pair.join(", ")}], distance ${formatValue(p.distance)}: critical α = ${formatValue(p.alpha)}, α·T = ${formatValue(p.pull)}` +
    `, travel α·T = ${formatValue(travelPull(p))}${p.travel_limited ? " (travel-limited)" : ""}${p.landscape_carried ? " (carried by the landscape)" : ""}`;

  const marks: Plot.Markish[] = [];
  const inRange = points.filter((p) => p.in_range);
  // rule quantile marks every split in range: a band over everything would say nothing
  const showRange = spectrum.rule !== "quantile" && inRange.length > 0 && inRange.length < n;
  if (showRange) {
    // the split after point k is the gap between k and k+1: shade from the first such k to the last k+1
    const x1 = Math.min(...inRange.map((p) => p.rank)), x2 = Math.min(Math.max(...inRange.map((p) => p.rank)) + 1, n + 0.5);
    marks.push(Plot.rect([{ x1, x2 }], { x1: "x1", x2: "x2", y1: yLow, y2: yTop, fill: COLORS.range, fillOpacity: 0.1, className: "gap-range" }));
  }
  if (never.length > 0) {
    marks.push(
      Plot.ruleY([yInfinity], { stroke: COLORS.never, strokeDasharray: "2,3", strokeOpacity: 0.6 }),
      // ∞ sorts last, so its triangles sit at the right: label the line at the left
      Plot.text([{ x: 0.5, y: yInfinity }], { x: "x", y: "y", text: () => `never connected (α = ∞): ${never.length} of ${n} pairs`, textAnchor: "start", dx: 4, dy: -9, fill: COLORS.never, fontSize: 10 }),
    );
  }
  if (withTravel.length > 0) {
    marks.push(
      Plot.line(withTravel, { x: "rank", y: travelPull, stroke: COLORS.travel, strokeDasharray: "4,3", strokeWidth: 1 }),
      Plot.dot(withTravel, { x: "rank", y: travelPull, symbol: "times", r: 3.5, stroke: COLORS.travel, className: "travel-pull" }),
    );
  }
  const gap = gapAround(spectrum, finite);
  const labelLeft = !gap || gap.x > (n + 1) / 2;
  if (gap) {
    marks.push(
      Plot.link([gap], { x1: "x", x2: "x", y1: "lo", y2: "hi", stroke: COLORS.chosen, strokeWidth: 1.2, markerStart: "tick", markerEnd: "tick", className: "widest-gap" }),
      // the chosen rule runs through the gap's geometric middle: label the gap above it
      Plot.text([gap], { x: "x", y: (g: typeof gap) => g.lo ** 0.25 * g.hi ** 0.75, text: (g: typeof gap) => `gap ×${formatValue(g.hi / g.lo)}`, textAnchor: "start", dx: 6, fontSize: 10, ...HALO }),
    );
  }
  marks.push(
    Plot.ruleY([spectrum.pull], { stroke: COLORS.chosen, strokeWidth: 1.5 }),
    // pairs below α sit left of where the spectrum crosses the rule and pairs above it right, so
    // the label goes above the rule at the left or below it at the right, away from the gap bar
    Plot.text([{ x: labelLeft ? 0.5 : n + 0.5, y: spectrum.pull }], {
      x: "x",
      y: "y",
      text: () => `chosen α·T = ${formatValue(spectrum.pull, 4)} (α = ${formatValue(spectrum.alpha, 4)})`,
      textAnchor: labelLeft ? "start" : "end",
      dx: labelLeft ? 4 : -4,
      dy: labelLeft ? -8 : 9,
      fontSize: 11,
      fontWeight: "bold",
      ...HALO,
      className: "chosen-label",
    }),
    Plot.dot(plain, { x: "rank", y: "pull", r: 4.5, fill: COLORS.critical, stroke: "white", strokeWidth: 0.8, title: pairLabel, className: "critical" }),
    Plot.dot(limited, { x: "rank", y: "pull", r: 5.5, symbol: "diamond", fill: COLORS.travelLimited, stroke: "white", strokeWidth: 0.8, title: pairLabel, className: "travel-limited" }),
    Plot.dot(carried, { x: "rank", y: "pull", r: 5, symbol: "square", fill: COLORS.carried, stroke: "white", strokeWidth: 0.8, title: pairLabel, className: "landscape-carried" }),
    Plot.dot(never, { x: "rank", y: () => yInfinity, r: 6, symbol: "triangle", fill: COLORS.never, stroke: "white", strokeWidth: 0.8, title: pairLabel, className: "never-connected" }),
  );

  const plot = plotToSvg({
    width: PLOT_WIDTH + LEGEND_WIDTH,
    height: HEIGHT,
    marginLeft: 70,
    marginRight: LEGEND_WIDTH + 16,
    marginTop: 16,
    marginBottom: 42,
    x: {
      domain: [0.5, n + 0.5],
      ticks: rankTicks(n),
      tickFormat: "d",
      label: "calibration pairs, ranked by critical pull",
      labelAnchor: "center",
      labelArrow: "none",
    },
    y: { type: "log", domain: [yLow, yTop], label: "critical pull α·T (energy per unit distance)", labelAnchor: "center", labelArrow: "none", grid: true, tickFormat: formatValue },
    marks,
  });

  const legendItems: SwatchItem[] = [
    { label: "critical pull α·T of a pair", color: COLORS.critical },
    { label: `travel-limited: within ×${spectrum.factor ? formatValue(spectrum.factor ** 2) : "factor²"} of its travel pull`, color: COLORS.travelLimited },
    { label: "travel pull: least α·T to arrive", color: COLORS.travel },
    { label: "chosen α·T", color: COLORS.chosen },
  ];
  if (never.length > 0) legendItems.splice(3, 0, { label: "never connected (α = ∞, at top)", color: COLORS.never });
  if (carried.length > 0) legendItems.splice(2, 0, { label: "carried by the landscape (magnet < δ)", color: COLORS.carried });
  if (showRange) {
    const range = spectrum.range ? ` [${spectrum.range[0]}, ${spectrum.range[1]}] of pairs below` : "";
    legendItems.push({ label: `gap-rule range${range}`, color: "#d5ecd5" });
  }
  const counts = spectrumCounts(spectrum);
  const tally = [
    `${counts.pairs} pairs`,
    `${counts.neverConnected} never connected`,
    `${counts.travelLimited} travel-limited`,
    ...(counts.landscapeCarried > 0 ? [`${counts.landscapeCarried} carried by the landscape`] : []),
  ].join(", ");
  const rule = spectrum.ruleUsed === "gap" ? "gap rule" : spectrum.rule === "gap" ? "gap rule → quantile fallback" : spectrum.ruleUsed === "quantile" ? "quantile rule" : "rule";
  const heading = `${options.title ? `${options.title}: ` : ""}auto-α spectrum (${rule}; ${tally})`;
  return composePanels([{
    title: wrap(spectrum.reason, 120),
    figure: plot,
    overlay: swatchLegend(legendItems, PLOT_WIDTH + LEGEND_WIDTH - 4, 16),
  }], { columns: 1, title: heading, titleSize: 11 });
}

/** Integer rank ticks, at most ~12 of them. */
function rankTicks(n: number): number[] {
  const step = Math.max(1, Math.ceil(n / 12));
  const ticks: number[] = [];
  for (let k = 1; k <= n; k += step) ticks.push(k);
  return ticks;
}

/**
 * The gap the gap rule put α in: the consecutive finite pulls around the chosen one, drawn at the
 * split between their ranks. Null when the quantile rule chose α (there is no gap to show).
 */
function gapAround(spectrum: AlphaSpectrum, finite: (SpectrumPoint & { rank: number })[]): { x: number; lo: number; hi: number } | null {
  if (spectrum.ruleUsed !== "gap") return null;
  for (let k = 0; k + 1 < finite.length; k++) {
    if (finite[k].pull < spectrum.pull && spectrum.pull < finite[k + 1].pull) {
      return { x: (finite[k].rank + finite[k + 1].rank) / 2, lo: finite[k].pull, hi: finite[k + 1].pull };
    }
  }
  return null;
}
