import { assert, assertEquals } from "../assert.ts";
import { diagnosticCorrelations } from "../../lib/plot/correlation.ts";
import { diagnosticsFigure } from "../../lib/plot/diagnostics.ts";
import { heatmapFigure } from "../../lib/plot/heatmap.ts";
import { landscapeFigure, logDensity } from "../../lib/plot/landscape.ts";
import { samplingFigure } from "../../lib/plot/sampling.ts";
import { parseSamplingRecords } from "../../lib/artifacts/sampling_records.ts";
import { basinOrder, disconnectivityFigure } from "../../lib/plot/basins.ts";
import { parseBasinsJson } from "../../lib/artifacts/basins_file.ts";
import { svgToPng } from "../../lib/plot/render.ts";
import { decodePng } from "./png.ts";

Deno.test("diagnostics figure has the paper's four titled panels, legend and zero lines", async () => {
  const d = Float64Array.from({ length: 5000 }, (_, t) => Math.sin(t * 2.1));
  const r = Float64Array.from({ length: 5000 }, (_, t) => 1 + Math.cos(t * 2.1));
  const figure = diagnosticsFigure({ d, r, correlations: diagnosticCorrelations(d, r), title: "train" });
  for (const text of ["Energy Difference", "Average Langevin Gradient Magnitude", "Cross Correlation of Energy Difference", "Auto-Correlation of Energy Difference", "en. diff.", "grad. mag.", "lag", "correlation", "iteration (batch)"]) {
    assert(figure.svg.includes(text), `missing '${text}'`);
  }
  assertEquals(figure.svg.match(/stroke-dasharray="5,4"/g)?.length, 3, "dashed zero lines on d_t and both correlation panels");
  // 31 cross bars + 2×16 auto bars
  const barGroups = figure.svg.match(/<g aria-label="rect"[^>]*>.*?<\/g>/g) ?? [];
  assertEquals(barGroups.map((g) => g.match(/<rect /g)?.length ?? 0), [31, 32], "31 cross-correlation bars, 2×16 auto-correlation bars");
  const png = await decodePng(svgToPng(figure.svg, { scale: 1 }));
  assertEquals([png.width, png.height], [figure.width, figure.height]);
});

function heatmapImage(svg: string): string {
  const match = svg.match(/<image [^>]*href="data:image\/png;base64,([^"]+)"/);
  if (!match) throw new Error("no embedded heatmap image");
  return match[1];
}

Deno.test("heatmaps put x to the right and y up (row index = y); yUp: false flips like imshow", async () => {
  // 4×4 grid, the only hot cell at row 3 (largest y), column 3 (largest x).
  const values = new Float64Array(16);
  values[3 * 4 + 3] = 1;
  for (const [yUp, hotRow] of [[true, 0], [false, 3]] as const) {
    const figure = await heatmapFigure({ values, rows: 4, cols: 4, x: [-1, 1], y: [-1, 1], yUp });
    const image = await decodePng(Uint8Array.from(atob(heatmapImage(figure.svg)), (c) => c.charCodeAt(0)));
    assertEquals([image.width, image.height], [4, 4]);
    const brightness = (x: number, y: number) => image.data[(y * 4 + x) * image.channels + 1];
    const brightest = [...Array(16).keys()].reduce((best, i) => (brightness(i % 4, Math.floor(i / 4)) > brightness(best % 4, Math.floor(best / 4)) ? i : best), 0);
    assertEquals([brightest % 4, Math.floor(brightest / 4)], [3, hotRow], `yUp=${yUp}: hot cell at image column 3, row ${hotRow}`);
  }
});

Deno.test("landscape figure: 2×3 with the paper's titles, log(p + 1e-10) on the bottom row", async () => {
  const r = 20;
  const grid = Float64Array.from({ length: r * r }, (_, i) => ((i % r) === 5 ? 1 : 0));
  const figure = await landscapeFigure({ resolution: r, extent: 2, trueDensity: grid, ebmDensity: grid, kdeDensity: grid });
  const titles = ["True density", "EBM density", "Short-run KDE", "True log-density", "EBM log-density", "Short-run log-KDE"];
  const positions = titles.map((t) => figure.svg.indexOf(`>${t}<`));
  assert(positions.every((p) => p > 0), `titles ${positions}`);
  assert(positions.every((p, i) => i === 0 || p > positions[i - 1]), "row-major order: densities first, then logs");
  assertEquals(figure.svg.match(/<image /g)?.length, 6);
  assertEquals(logDensity([0, 1])[0], Math.log(1e-10));
  const partial = await landscapeFigure({ resolution: r, extent: 2, kdeDensity: grid });
  assertEquals(partial.svg.match(/<image /g)?.length, 2);
  let message = "";
  try { await landscapeFigure({ resolution: r, extent: 2, trueDensity: new Float64Array(10) }); } catch (e) { message = (e as Error).message; }
  assert(message.includes("'trueDensity' needs 20×20 = 400 values, got 10"), message);
});

Deno.test("sampling records: both JSON layouts, acceptance panel only for MALA", () => {
  const columns = parseSamplingRecords({ step: [1, 2, 3], energy: [3, 2, 1], grad_norm: [1, 1, 1], acceptance: [0.5, 0.6, 0.7] }, "r.json");
  const rows = parseSamplingRecords([{ step: 1, energy: 3, grad_norm: 1, acceptance: 0.5 }, { step: 2, energy: 2, grad_norm: 1, acceptance: 0.6 }, { step: 3, energy: 1, grad_norm: 1, acceptance: 0.7 }], "r.json");
  assertEquals(rows, columns);
  const ula = samplingFigure({ energy: [3, 2, 1], gradNorm: [1, 1, 1] });
  assert(ula.svg.includes("Energy f/T over sampling path") && ula.svg.includes("Gradient magnitude over sampling path"));
  // Per-chain paths (chains.safetensors) are drawn as one line each behind the mean.
  const chains = { chains: 3, energy: Float32Array.from({ length: 9 }, (_, i) => i), gradNorm: Float32Array.from({ length: 9 }, (_, i) => -i) };
  const perChain = samplingFigure({ ...columns, acceptance: undefined, chains });
  assert(perChain.svg.includes("3 chains in grey"), "the title says the chains are drawn");
  const lines = (svg: string) => (svg.match(/<path/g) ?? []).length;
  assert(lines(perChain.svg) >= lines(ula.svg) + 6, `3 chain lines in each of 2 panels: ${lines(perChain.svg)} vs ${lines(ula.svg)}`);
  assert(!ula.svg.includes("MH acceptance rate"));
  assert(samplingFigure(columns).svg.includes("MH acceptance rate"));
  let message = "";
  try { parseSamplingRecords({ energy: [1, 2], grad_norm: [1] }, "r.json"); } catch (e) { message = (e as Error).message; }
  assert(message.includes("'r.json'") && message.includes("'grad_norm' has 1 entries but 'energy' has 2"), message);
});

Deno.test("disconnectivity graph: merges at barrier energies, leaves ordered low-first, labels and images", () => {
  const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC"), (c) => c.charCodeAt(0));
  const figure = disconnectivityFigure({
    leaves: [{ label: "B0", energy: -1, image: png }, { label: "B1", energy: -3, image: png }, { label: "B2", energy: -2 }],
    nodes: [{ node: 0, energy: -1 }, { node: 1, energy: -3 }, { node: 2, energy: -2 }, { node: 3, energy: 0.5, children: [1, 2] }, { node: 4, energy: 2, children: [3, 0] }],
    roots: [4],
  });
  const labelX = ["B1", "B2", "B0"].map((l) => Number(figure.svg.match(new RegExp(`<text x="([-\\d.]+)"[^>]*>${l}<`))?.[1]));
  assert(labelX.every(Number.isFinite), `leaf labels drawn: ${labelX}`);
  assert(labelX[0] < labelX[1] && labelX[1] < labelX[2], `subtree of the deeper leaf first, left to right: ${labelX}`);
  assertEquals(figure.svg.match(/<image /g)?.length, 2);
  let message = "";
  try { disconnectivityFigure({ leaves: [{ label: "a", energy: 0 }, { label: "b", energy: 1 }], nodes: [{ node: 0, energy: 0 }, { node: 1, energy: 1 }], roots: [0] }); } catch (e) { message = (e as Error).message; }
  assert(message.includes("basin 1 is under no root"), message);
});

Deno.test("basins.json: representative first, errors name the field", () => {
  const basins = parseBasinsJson({ energies: [-3, -2, -1], basins: [{ id: 0, representative: 1, members: [{ index: 0 }, { index: 1 }, 2] }] }, "b.json");
  assertEquals(basinOrder(basins.basins[0]), [1, 0, 2]);
  let message = "";
  try { parseBasinsJson({ energies: [-3], basins: [{ representative: 4, members: [] }] }, "b.json"); } catch (e) { message = (e as Error).message; }
  assert(message.includes("'b.json'") && message.includes("basins[0].representative") && message.includes("got 4"), message);
});
