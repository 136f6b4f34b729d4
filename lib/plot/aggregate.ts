/**
 * The sweep figure: per metric one panel with a column per step (group), each run as a dot and
 * mean ± sd as a bar with caps — the seed-to-seed spread that a single run's figure hides. A
 * metric whose values are all positive and span more than two decades gets a log axis.
 *
 * @example
 * ```ts ignore
 * import { aggregateFigure } from "./aggregate.ts";
 * import { writeFigure } from "./render.ts";
 * await writeFigure("out", "aggregate", aggregateFigure(aggregate, ["kl_true_ebm", "kl_true_kde"]));
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { Aggregate } from "../sweep/aggregate.ts";
import { composePanels } from "./compose.ts";
import { type Figure, plotToSvg } from "./render.ts";

/** Options of {@link aggregateFigure}. */
export interface AggregateFigureOptions {
  title?: string;
  panelWidth?: number;
  panelHeight?: number;
}

/** One panel per metric of `metrics` that some group has; throws when none has any. */
export function aggregateFigure(aggregate: Aggregate, metrics: string[], options: AggregateFigureOptions = {}): Figure {
  const groups = Object.keys(aggregate.groups);
  const panels = [];
  for (const metric of metrics) {
    const rows = groups.flatMap((group) => {
      const s = aggregate.groups[group].metrics[metric];
      return s ? [{ group, ...s, lo: s.mean - (s.sd ?? 0), hi: s.mean + (s.sd ?? 0) }] : [];
    });
    if (rows.length === 0) continue;
    const dots = rows.flatMap((r) => r.values.map((value) => ({ group: r.group, value })));
    const all = dots.map((d) => d.value);
    const log = all.every((v) => v > 0) && Math.max(...all) / Math.min(...all) > 100;
    // On a log axis a bar reaching ≤ 0 is clipped to the smallest run.
    const floor = Math.min(...all);
    const bars = rows.map((r) => ({ ...r, lo: log ? Math.max(r.lo, floor) : r.lo }));
    const figure = plotToSvg({
      width: options.panelWidth ?? Math.max(260, 70 * rows.length + 80),
      height: options.panelHeight ?? 260,
      marginBottom: 70,
      marginLeft: 60,
      x: { domain: rows.map((r) => r.group), label: null, tickRotate: -25 },
      y: { type: log ? "log" : "linear", label: metric, grid: true, nice: true },
      marks: [
        Plot.dot(dots, { x: "group", y: "value", r: 2.5, fill: "#9aa5b1", dx: 8 }),
        Plot.ruleX(bars, { x: "group", y1: "lo", y2: "hi", stroke: "#1f77b4", strokeWidth: 2 }),
        Plot.tickY(bars, { x: "group", y: "lo", stroke: "#1f77b4", strokeWidth: 2, inset: 18 }),
        Plot.tickY(bars, { x: "group", y: "hi", stroke: "#1f77b4", strokeWidth: 2, inset: 18 }),
        Plot.dot(bars, { x: "group", y: "mean", r: 4, fill: "#1f77b4" }),
      ],
    });
    const n = rows.map((r) => r.n);
    panels.push({ title: `${metric}: mean ± sd over ${Math.min(...n) === Math.max(...n) ? n[0] : `${Math.min(...n)}–${Math.max(...n)}`} runs (grey: each run)`, figure });
  }
  if (panels.length === 0) throw new Error(`Cannot draw the sweep figure: no step has any of the metrics ${metrics.join(", ")}`);
  return composePanels(panels, { columns: Math.min(2, panels.length), title: options.title });
}
