/**
 * Figure rendering: Observable Plot on a jsdom document → standalone SVG string → PNG via resvg
 * with the bundled fonts. Every figure in `lib/plot` is a {@link Figure}: an SVG string and its
 * pixel size, written next to its PNG by {@link writeFigure}.
 *
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * import { plotToSvg, svgToPng, writeFigure } from "./render.ts";
 * const figure = plotToSvg({ width: 300, height: 200, marks: [Plot.lineY([1, 3, 2])] });
 * const png = svgToPng(figure.svg); // Uint8Array, PNG bytes
 * await writeFigure("out", "line", figure); // out/line.svg and out/line.png
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { JSDOM } from "jsdom";
import { Resvg } from "@resvg/resvg-js";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.ts";
import { FIGURE_FONT_FAMILY, figureFontFiles } from "./fonts.ts";

/** A rendered figure: a standalone SVG document (with `xmlns`) and its size in CSS pixels. */
export interface Figure {
  svg: string;
  width: number;
  height: number;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";

/** The DOM subset figures use (Deno type-checks without the DOM library). */
export interface FigureElement {
  tagName: string;
  outerHTML: string;
  textContent: string | null;
  setAttribute(name: string, value: string): void;
  appendChild(child: FigureElement): FigureElement;
}

/** Document methods the figures call (jsdom's document). */
export interface FigureDocument {
  createElementNS(namespace: string, name: string): FigureElement;
}

let sharedDocument: FigureDocument | null = null;

/** One jsdom document reused by every plot: creating a JSDOM costs ~100 ms. */
export function plotDocument(): FigureDocument {
  if (!sharedDocument) sharedDocument = new JSDOM("<!DOCTYPE html><html><body></body></html>").window.document as FigureDocument;
  return sharedDocument;
}

/**
 * Adds the SVG (and, when used, xlink) namespace declarations to the root `<svg>` element:
 * jsdom serialises Plot's SVG without them, and resvg (like any XML reader) rejects it then.
 */
export function withSvgNamespace(svg: string): string {
  const open = svg.match(/^\s*<svg\b[^>]*>/);
  if (!open) throw new Error(`Cannot render the figure: expected an <svg> root element, got '${svg.slice(0, 40)}'`);
  let tag = open[0];
  if (!/\sxmlns=/.test(tag)) tag = tag.replace(/^(\s*<svg)\b/, `$1 xmlns="${SVG_NS}"`);
  if (svg.includes("xlink:") && !/\sxmlns:xlink=/.test(tag)) tag = tag.replace(/^(\s*<svg)\b/, `$1 xmlns:xlink="${XLINK_NS}"`);
  return tag + svg.slice(open[0].length);
}

/**
 * Renders Plot options to a standalone SVG {@link Figure}. `width`/`height` are required so
 * panels compose predictably; the font is fixed to the bundled family. Options that make Plot
 * return an HTML `<figure>` (title, subtitle, caption, legend: true) are rejected: resvg
 * only renders SVG, so titles and legends are drawn by `compose.ts`.
 */
export function plotToSvg(options: Plot.PlotOptions & { width: number; height: number }): Figure {
  const o = options as unknown as Record<string, unknown>;
  for (const key of ["title", "subtitle", "caption"]) {
    if (o[key] !== undefined) throw new Error(`Cannot render plot option '${key}': it makes Plot emit HTML; draw it with compose.ts`);
  }
  const element = Plot.plot({
    ...options,
    document: plotDocument() as never,
    style: { fontFamily: FIGURE_FONT_FAMILY, fontSize: "11px", background: "white", color: "black", overflow: "visible" },
  }) as unknown as FigureElement;
  if (element.tagName.toLowerCase() !== "svg") {
    throw new Error(`Cannot render the plot: Plot returned <${element.tagName.toLowerCase()}> instead of <svg> (remove legend/title options)`);
  }
  const svg = withSvgNamespace(element.outerHTML.replaceAll("system-ui, sans-serif", `${FIGURE_FONT_FAMILY}, sans-serif`));
  return { svg, width: options.width, height: options.height };
}

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Pixel density: 2 gives a PNG twice the SVG's CSS size (the default, for sharp text). */
  scale?: number;
  /** Background colour; figures are opaque white by default. */
  background?: string;
}

/** Rasterises a standalone SVG with resvg, using only the bundled fonts (no system fonts). */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  const scale = options.scale ?? 2;
  if (!(scale > 0)) throw new Error(`Cannot rasterise the figure: expected a positive scale, got ${scale}`);
  const resvg = new Resvg(withSvgNamespace(svg), {
    font: {
      loadSystemFonts: false,
      fontFiles: figureFontFiles(),
      defaultFontFamily: FIGURE_FONT_FAMILY,
      sansSerifFamily: FIGURE_FONT_FAMILY,
    },
    background: options.background ?? "white",
    fitTo: { mode: "zoom", value: scale },
    logLevel: "error",
  });
  return new Uint8Array(resvg.render().asPng());
}

/**
 * Writes `<dir>/<name>.svg` and `<dir>/<name>.png` atomically and returns the two file names
 * (relative to `dir`).
 */
export async function writeFigure(dir: string, name: string, figure: Figure, options: PngOptions = {}): Promise<string[]> {
  const png = svgToPng(figure.svg, options);
  await writeFileAtomic(join(dir, `${name}.svg`), figure.svg);
  await writeFileAtomic(join(dir, `${name}.png`), png);
  return [`${name}.svg`, `${name}.png`];
}
