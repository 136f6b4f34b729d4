/**
 * Assembles several {@link Figure}s into one SVG figure (rows × columns of titled panels), and
 * draws the bits Plot would otherwise emit as HTML (titles, swatch legends), so the result stays
 * pure SVG that resvg can rasterise.
 *
 * @example
 * ```ts
 * import { composePanels, swatchLegend } from "./compose.ts";
 * import { plotToSvg } from "./render.ts";
 * import * as Plot from "@observablehq/plot";
 * const a = plotToSvg({ width: 200, height: 150, marks: [Plot.lineY([1, 2])] });
 * const figure = composePanels([{ title: "A", figure: a }, { title: "B", figure: a }], { columns: 2 });
 * const legend = swatchLegend([{ label: "d", color: "#1f77b4" }]);
 * ```
 * @module
 */
import type { Figure } from "./render.ts";
import { FIGURE_FONT_FAMILY } from "./fonts.ts";

/** One titled panel of a composed figure. */
export interface Panel {
  /** Drawn centred above the panel; `\n` starts a new line. */
  title?: string;
  figure: Figure;
  /** Extra SVG (in panel coordinates) drawn over the panel, e.g. a legend. */
  overlay?: string;
}

/** Options of {@link composePanels}. */
export interface ComposeOptions {
  columns: number;
  /** Drawn centred at the top of the whole figure. */
  title?: string;
  /** Space between panels, in px. */
  gap?: number;
  /** Font size of panel titles, in px. */
  titleSize?: number;
}

/** Escapes text for use in SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Centred multi-line text (lines split at `\n`) whose first baseline is at `y`. */
export function svgText(text: string, x: number, y: number, size: number, weight: "normal" | "bold" = "normal"): string {
  const lines = text.split("\n");
  const spans = lines.map((line, i) => `<tspan x="${x}" dy="${i === 0 ? 0 : size * 1.2}">${escapeXml(line)}</tspan>`).join("");
  return `<text x="${x}" y="${y}" font-family="${FIGURE_FONT_FAMILY}" font-size="${size}" font-weight="${weight}" text-anchor="middle" fill="black">${spans}</text>`;
}

/** One legend entry. */
export interface SwatchItem {
  label: string;
  color: string;
}

/**
 * A boxed swatch legend as an SVG group, anchored at its top-right corner `(right, top)`
 * (matplotlib's `loc='upper right'`). Width is estimated from the label lengths.
 */
export function swatchLegend(items: SwatchItem[], right = 0, top = 0, fontSize = 10): string {
  const charWidth = fontSize * 0.62;
  const width = 24 + Math.max(...items.map((item) => item.label.length)) * charWidth + 8;
  const rowHeight = fontSize * 1.5;
  const height = items.length * rowHeight + 6;
  const x0 = right - width;
  const rows = items.map((item, i) => {
    const y = top + 3 + i * rowHeight;
    return `<rect x="${x0 + 6}" y="${y + rowHeight * 0.2}" width="12" height="${rowHeight * 0.6}" fill="${item.color}"/>` +
      `<text x="${x0 + 22}" y="${y + rowHeight * 0.72}" font-family="${FIGURE_FONT_FAMILY}" font-size="${fontSize}" fill="black">${escapeXml(item.label)}</text>`;
  }).join("");
  return `<g class="legend"><rect x="${x0}" y="${top}" width="${width}" height="${height}" fill="white" fill-opacity="0.85" stroke="#999" rx="3"/>${rows}</g>`;
}

/** Strips the XML namespace-free outer `<svg>` so a panel can be nested with its own position. */
function nestSvg(figure: Figure, x: number, y: number): string {
  const match = figure.svg.match(/^\s*<svg\b([^>]*)>/);
  if (!match) throw new Error(`Cannot compose the figure: a panel is not an <svg> document ('${figure.svg.slice(0, 40)}')`);
  const attrs = match[1].replace(/\s(x|y)="[^"]*"/g, "");
  return `<svg x="${x}" y="${y}"${attrs}>` + figure.svg.slice(match[0].length);
}

/**
 * Lays panels out row-major on a grid; each cell is as wide as the widest panel of its column and
 * as tall as the tallest panel of its row plus room for the panel title.
 */
export function composePanels(panels: Panel[], options: ComposeOptions): Figure {
  const columns = options.columns;
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`Cannot compose panels: expected a positive whole number of columns, got ${columns}`);
  if (panels.length === 0) throw new Error("Cannot compose panels: no panels given");
  const gap = options.gap ?? 16;
  const titleSize = options.titleSize ?? 12;
  const rows = Math.ceil(panels.length / columns);
  const titleLines = (p: Panel) => (p.title ? p.title.split("\n").length : 0);
  const colWidth = Array.from({ length: columns }, (_, c) => Math.max(0, ...panels.filter((_, i) => i % columns === c).map((p) => p.figure.width)));
  const rowTitle = Array.from({ length: rows }, (_, r) => Math.max(0, ...panels.slice(r * columns, (r + 1) * columns).map(titleLines)));
  const rowHeight = Array.from({ length: rows }, (_, r) => Math.max(0, ...panels.slice(r * columns, (r + 1) * columns).map((p) => p.figure.height)));
  const topTitle = options.title ? options.title.split("\n").length * 16 * 1.2 + 8 : 0;
  const width = Math.ceil(colWidth.reduce((a, b) => a + b, 0) + gap * (columns + 1));
  let y = gap + topTitle;
  const parts: string[] = [];
  if (options.title) parts.push(svgText(options.title, width / 2, gap + 14, 16, "bold"));
  for (let r = 0; r < rows; r++) {
    const titleHeight = rowTitle[r] > 0 ? rowTitle[r] * titleSize * 1.2 + 6 : 0;
    let x = gap;
    for (let c = 0; c < columns; c++) {
      const panel = panels[r * columns + c];
      if (panel) {
        const px = x + (colWidth[c] - panel.figure.width) / 2;
        if (panel.title) parts.push(svgText(panel.title, x + colWidth[c] / 2, y + titleSize, titleSize, "bold"));
        const py = y + titleHeight;
        parts.push(nestSvg(panel.figure, px, py));
        if (panel.overlay) parts.push(`<g transform="translate(${px},${py})">${panel.overlay}</g>`);
      }
      x += colWidth[c] + gap;
    }
    y += titleHeight + rowHeight[r] + gap;
  }
  const height = Math.ceil(y);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FIGURE_FONT_FAMILY}">` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
  return { svg, width, height };
}
