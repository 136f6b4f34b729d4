/**
 * Scatter panels of 2-D point sets (the `vera-toy` data and each sampler's points), one square
 * panel per set over the same [−extent, extent]² window, composed in a row.
 *
 * @example
 * ```ts
 * import { pointsFigure } from "./points.ts";
 * const figure = pointsFigure([{ title: "data", points: new Float32Array([0, 0, 1, 1]) }], { extent: 4 });
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { composePanels } from "./compose.ts";
import { type Figure, plotToSvg } from "./render.ts";

/** One set of interleaved (x, y) points and its panel title. */
export interface PointPanel {
  title: string;
  points: Float32Array;
}

/** Options of {@link pointsFigure}. */
export interface PointsFigureOptions {
  /** Half-width of the square window. */
  extent: number;
  /** At most this many points per panel (the first ones). */
  maxPoints?: number;
  title?: string;
  /** Panel size in px. */
  size?: number;
}

/** The scatter figure: one panel per set, same axes. */
export function pointsFigure(sets: PointPanel[], o: PointsFigureOptions): Figure {
  if (sets.length === 0) throw new Error("Cannot plot points: no point set given");
  if (!(o.extent > 0)) throw new Error(`Cannot plot points: expected a positive extent, got ${o.extent}`);
  const size = o.size ?? 240, max = o.maxPoints ?? 2000;
  const panels = sets.map((s) => {
    const n = Math.min(max, s.points.length / 2);
    const rows = Array.from({ length: n }, (_, i) => ({ x: s.points[2 * i], y: s.points[2 * i + 1] }))
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const figure = plotToSvg({
      width: size, height: size, marginLeft: 36, marginBottom: 30, marginTop: 8, marginRight: 8,
      x: { domain: [-o.extent, o.extent], label: "x" },
      y: { domain: [-o.extent, o.extent], label: "y" },
      marks: [Plot.dot(rows, { x: "x", y: "y", r: 1, fill: "#1f77b4", fillOpacity: 0.5, clip: true })],
    });
    return { title: `${s.title}\n${rows.length} points`, figure };
  });
  return composePanels(panels, { columns: panels.length, title: o.title });
}
