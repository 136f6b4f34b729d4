/**
 * Task `plot-basins`: the ADELM disconnectivity graph (each leaf's minimum image under it) and a
 * grid per basin (representative first, then members). Reads `basins.json` from the one upstream
 * step that wrote it (fields in `lib/plot/basins.ts`) and the minima images (NHWC, values in
 * [−1, 1]) from the tensor `minima_tensor` of `minima_file` in any upstream output (typically the
 * metastable-search step). Without minima images the graph is drawn without pictures and no
 * grids are written. Output: `disconnectivity.svg/.png`, `basin-<id>.png`, `representatives.png`,
 * and, when basin-cluster chose α automatically (`parameters.auto_alpha.curve` has points),
 * `alpha-spectrum.svg/.png`: the sorted critical pulls with the chosen α (`lib/plot/alpha_spectrum.ts`).
 *
 * @example
 * ```yaml
 * steps:
 *   basins-plot: { task: plot-basins, needs: [search, cluster] }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { writeFileAtomic } from "../lib/util/fs.ts";
import { readSafetensors } from "../lib/util/safetensors.ts";
import { basinGridPng, basinOrder, disconnectivityFigure, graphFromBasins } from "../lib/plot/basins.ts";
import { BASINS_FILE, readBasinsFile } from "../lib/artifacts/basins_file.ts";
import { writeFigure } from "../lib/plot/render.ts";
import { alphaSpectrumFigure, spectrumCounts } from "../lib/plot/alpha_spectrum.ts";

export default defineTask({
  name: "plot-basins",
  description: "Draws the ADELM disconnectivity graph with minimum images and one image grid per basin.",
  usesSeed: false,
  config: z.object({
    basins_file: z.string().default(BASINS_FILE),
    minima_file: z.string().default("minima.safetensors"),
    minima_tensor: z.string().default("minima"),
    png_scale: z.number().positive().default(2),
    /** Pixel replication of the basin grids (`basin-<id>.png`, `representatives.png`): 32 px minima at ×1 are too small to judge. */
    image_scale: z.number().int().positive().default(3),
  }),
  async run(ctx) {
    const c = ctx.config;
    const withBasins = ctx.inputWith(c.basins_file, "Cannot plot basins");
    const basinsPath = join(withBasins.dir, c.basins_file);
    const basins = await readBasinsFile(basinsPath);
    let minima: { data: Float32Array; height: number; width: number; channels: number } | undefined;
    for (const input of ctx.inputsWith(c.minima_file)) {
      const path = join(input.dir, c.minima_file);
      const tensor = (await readSafetensors(path)).tensors[c.minima_tensor];
      if (!tensor) throw new Error(`Cannot plot basins: '${path}' has no tensor '${c.minima_tensor}'`);
      if (tensor.shape.length !== 4 || tensor.shape[0] !== basins.energies.length) {
        throw new Error(`Cannot plot basins: '${path}' tensor '${c.minima_tensor}' must be NHWC with ${basins.energies.length} images (one per minimum), got shape [${tensor.shape}]`);
      }
      minima = { data: Float32Array.from(tensor.data as Float32Array), height: tensor.shape[1], width: tensor.shape[2], channels: tensor.shape[3] };
      break;
    }
    if (!minima) ctx.log.warn(`No ${c.minima_file} upstream: drawing the graph without minimum images`);
    const graph = await graphFromBasins(basins, minima);
    await writeFigure(ctx.outDir, "disconnectivity", disconnectivityFigure({ ...graph, title: `${withBasins.id}: disconnectivity graph` }), { scale: c.png_scale });
    if (minima) {
      for (const [i, basin] of basins.basins.entries()) {
        await writeFileAtomic(join(ctx.outDir, `basin-${basin.id ?? i}.png`), await basinGridPng(minima.data, minima, basinOrder(basin), c.image_scale));
      }
      await writeFileAtomic(join(ctx.outDir, "representatives.png"), await basinGridPng(minima.data, minima, basins.basins.map((b) => b.representative), c.image_scale));
    }
    const spectrum = basins.autoAlpha;
    const drawSpectrum = spectrum !== null && spectrum !== undefined && spectrum.curve.length > 0;
    if (drawSpectrum) {
      await writeFigure(ctx.outDir, "alpha-spectrum", alphaSpectrumFigure(spectrum, { title: withBasins.id }), { scale: c.png_scale });
      const counts = spectrumCounts(spectrum);
      ctx.log.info(`alpha-spectrum: ${counts.pairs} calibration pairs (${counts.neverConnected} never connected, ${counts.travelLimited} travel-limited), chosen α·T = ${spectrum.pull.toPrecision(3)}`);
    } else {
      ctx.log.info(`No alpha-spectrum figure: ${basinsPath} has ${spectrum ? "an empty 'parameters.auto_alpha.curve'" : "no 'parameters.auto_alpha' (ad.alpha was a number)"}`);
    }
    await ctx.writeMetrics({
      basins: basins.basins.length,
      minima: basins.energies.length,
      images: minima !== undefined,
      alpha_spectrum: drawSpectrum,
      alpha_spectrum_pairs: drawSpectrum ? spectrum.curve.length : null,
    });
  },
});
