/**
 * One heatmap panel with real axes: a value grid over `[xMin, xMax] × [yMin, yMax]` drawn as an
 * embedded PNG inside a Plot frame, plus a colour bar. Grids are row-major with row index = y
 * (ascending) and column index = x (ascending). With `yUp` (default) y grows upwards as in a
 * mathematical plot; `yUp: false` puts row 0 at the top, like matplotlib's `imshow` default.
 *
 * @example
 * ```ts
 * import { heatmapFigure } from "./heatmap.ts";
 * const z = Float64Array.from({ length: 50 * 50 }, (_, i) => Math.sin(i));
 * const figure = await heatmapFigure({ values: z, rows: 50, cols: 50, x: [-2, 2], y: [-2, 2] });
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { colorLut, gridToPng, lutColor, pngDataUri } from "./colormap.ts";
import { composePanels } from "./compose.ts";
import { type Figure, type FigureDocument, plotToSvg } from "./render.ts";

/** Input of {@link heatmapFigure}. */
export interface HeatmapData {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Data range covered by the columns (left edge of the first to right edge of the last). */
  x: [number, number];
  /** Data range covered by the rows. */
  y: [number, number];
  /** Colour range; default the finite min and max of `values`. */
  domain?: [number, number];
  yUp?: boolean;
  scheme?: string;
  xLabel?: string;
  yLabel?: string;
  /** Label of the colour bar. */
  valueLabel?: string;
  /** Size of the square-ish plotting frame in px (default 220). */
  size?: number;
}

/** Finite min and max of `values` ([0, 1] when none are finite). */
export function finiteExtent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Builds the heatmap with its colour bar as one figure. */
export async function heatmapFigure(data: HeatmapData): Promise<Figure> {
  const domain = data.domain ?? finiteExtent(data.values);
  const yUp = data.yUp ?? true;
  const size = data.size ?? 220;
  // With y pointing up, grid row 0 (lowest y) must be the bottom pixel row: flip the rows.
  const flipped = yUp ? flipRows(data.values, data.rows, data.cols) : data.values;
  const href = pngDataUri(await gridToPng(flipped, data.rows, data.cols, domain, data.scheme));
  const margin = { marginLeft: 52, marginRight: 8, marginTop: 8, marginBottom: 34 };
  const image: Plot.RenderFunction = (_index, scales, _values, _dimensions, context) => {
    const sx = scales.x!, sy = scales.y!;
    const [x0, x1] = [sx(data.x[0]) as number, sx(data.x[1]) as number];
    const [ya, yb] = [sy(data.y[0]) as number, sy(data.y[1]) as number];
    const el = (context.document as unknown as FigureDocument).createElementNS("http://www.w3.org/2000/svg", "image");
    el.setAttribute("x", String(Math.min(x0, x1)));
    el.setAttribute("y", String(Math.min(ya, yb)));
    el.setAttribute("width", String(Math.abs(x1 - x0)));
    el.setAttribute("height", String(Math.abs(yb - ya)));
    el.setAttribute("preserveAspectRatio", "none");
    el.setAttribute("image-rendering", "optimizeSpeed");
    el.setAttribute("href", href);
    return el as never;
  };
  const heat = plotToSvg({
    width: size + margin.marginLeft + margin.marginRight,
    height: size + margin.marginTop + margin.marginBottom,
    ...margin,
    x: { domain: data.x, label: data.xLabel ?? "x", labelAnchor: "center", labelArrow: "none", ticks: 5 },
    y: { domain: data.y, label: data.yLabel ?? "y", labelAnchor: "center", labelArrow: "none", labelOffset: 44, ticks: 5, reverse: !yUp },
    marks: [image, Plot.frame()],
  });
  return composePanels([{ figure: heat }, { figure: colorBar(domain, size, margin.marginTop, margin.marginBottom, data.scheme, data.valueLabel) }], { columns: 2, gap: 2 });
}

function flipRows(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[(rows - 1 - r) * cols + c] = values[r * cols + c];
  }
  return out;
}

function colorBar(domain: [number, number], size: number, marginTop: number, marginBottom: number, scheme = "viridis", label = ""): Figure {
  const lut = colorLut(scheme);
  const [lo, hi] = domain[1] > domain[0] ? domain : [domain[0], domain[0] + 1];
  const steps = 64;
  const bins = Array.from({ length: steps }, (_, i) => ({ y1: lo + ((hi - lo) * i) / steps, y2: lo + ((hi - lo) * (i + 1)) / steps, color: lutColor(lut, (i + 0.5) / steps) }));
  return plotToSvg({
    width: 64,
    height: size + marginTop + marginBottom,
    marginTop,
    marginBottom,
    marginLeft: 4,
    marginRight: 48,
    x: { axis: null, domain: [0, 1] },
    y: { domain: [lo, hi], axis: "right", label, labelArrow: "none", labelAnchor: "center", ticks: 5, tickFormat: "~g" },
    marks: [Plot.rect(bins, { x1: 0, x2: 0.35, y1: "y1", y2: "y2", fill: "color", inset: 0 }), Plot.rect([0], { x1: 0, x2: 0.35, y1: lo, y2: hi, stroke: "black", fill: "none" })],
  });
}
