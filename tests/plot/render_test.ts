import * as Plot from "@observablehq/plot";
import { assert, assertEquals } from "../assert.ts";
import { plotToSvg, svgToPng, withSvgNamespace, writeFigure } from "../../lib/plot/render.ts";
import { figureFontFiles } from "../../lib/plot/fonts.ts";
import { composePanels, swatchLegend } from "../../lib/plot/compose.ts";
import { darkPixels, decodePng } from "./png.ts";

Deno.test("withSvgNamespace adds xmlns once and xlink only when used", () => {
  const svg = withSvgNamespace('<svg width="2"><image xlink:href="a.png"/></svg>');
  assert(svg.startsWith('<svg xmlns:xlink="http://www.w3.org/1999/xlink" xmlns="http://www.w3.org/2000/svg" width="2">'), svg);
  assertEquals(withSvgNamespace(svg), svg);
  assertEquals(withSvgNamespace('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
});

Deno.test("fonts come from the npm package, not the system", () => {
  const files = figureFontFiles();
  assertEquals(files.length, 3);
  for (const f of files) assert(f.includes("dejavu-fonts-ttf") && f.endsWith(".ttf"), f);
});

Deno.test("plotToSvg output has xmlns and rasterises at 2× with visible text", async () => {
  const figure = plotToSvg({ width: 300, height: 200, marks: [Plot.lineY([1, 3, 2], { stroke: "red" })], y: { label: "energy" } });
  assert(figure.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), figure.svg.slice(0, 80));
  assert(figure.svg.includes("energy"), "axis label in the SVG");
  const png = await decodePng(svgToPng(figure.svg));
  assertEquals([png.width, png.height], [600, 400]);
  assert(darkPixels(png) > 200, `expected tick labels drawn in black, got ${darkPixels(png)} dark pixels`);
});

Deno.test("text renders with the bundled font while system fonts are off", async () => {
  const text = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="10" y="30" font-size="24" font-family="DejaVu Sans">Energy</text></svg>';
  const png = await decodePng(svgToPng(text, { scale: 1 }));
  assert(darkPixels(png) > 100, `glyphs drawn: ${darkPixels(png)} dark pixels`);
});

Deno.test("plotToSvg rejects options that make Plot emit HTML", () => {
  let message = "";
  try {
    plotToSvg({ width: 100, height: 100, title: "x", marks: [] });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("'title'"), message);
});

Deno.test("composePanels stacks titled panels and writeFigure writes svg + png", async () => {
  const a = plotToSvg({ width: 200, height: 100, marks: [Plot.lineY([1, 2])] });
  const figure = composePanels([{ title: "A", figure: a, overlay: swatchLegend([{ label: "d", color: "#1f77b4" }], 190, 5) }, { title: "B\nsecond line", figure: a }, { figure: a }], { columns: 2, title: "T" });
  assert(figure.width > 400 && figure.height > 200, `${figure.width}×${figure.height}`);
  assertEquals(figure.svg.match(/<svg x=/g)?.length, 3);
  const dir = await Deno.makeTempDir();
  try {
    const files = await writeFigure(dir, "fig", figure, { scale: 1 });
    assertEquals(files, ["fig.svg", "fig.png"]);
    const png = await decodePng(await Deno.readFile(`${dir}/fig.png`));
    assertEquals([png.width, png.height], [figure.width, figure.height]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
