/**
 * Sampling-path figures of the paper's eval: energy over the sampling path, gradient magnitude
 * over the sampling path (both per Langevin step) and, for MH-adjusted Langevin, the acceptance
 * rate per step. Panels sit side by side in one figure; long paths are decimated (min/max per
 * pixel column) so 250,000 steps draw quickly.
 *
 * Input records (what `eval-sample`/`longrun-sample` should write, e.g. `records.json`):
 * `{ "step": [1, 2, …], "energy": [...], "grad_norm": [...], "acceptance": [...] }` with one
 * entry per recorded step (mean over the batch; `acceptance` only for MALA), plus, when the
 * sampling step wrote `chains.safetensors`, the per-chain paths. An array of rows
 * `[{ "step", "energy", "grad_norm", "acceptance"? }]` is accepted too (`parseSamplingRecords`, `lib/artifacts/sampling_records.ts`).
 *
 * @example
 * ```ts
 * import { samplingFigure } from "./sampling.ts";
 * const energy = Float64Array.from({ length: 1000 }, (_, i) => 100 / (1 + i));
 * const figure = samplingFigure({ energy, gradNorm: energy, acceptance: energy.map(() => 0.6) });
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { composePanels, type Panel } from "./compose.ts";
import { decimateMinMax } from "./decimate.ts";
import { SERIES_COLORS } from "./diagnostics.ts";
import { type Figure, plotToSvg } from "./render.ts";
import type { SamplingColumns } from "../artifacts/sampling_records.ts";

/** Per-step records of a sampling run (the data part read by `lib/artifacts/sampling_records.ts`). */
export interface SamplingRecords extends SamplingColumns {
  /** Step numbers (default 1, 2, …). */
  steps?: ArrayLike<number>;
  energy: ArrayLike<number>;
  gradNorm: ArrayLike<number>;
  /** Acceptance rate per step (MALA only). */
  acceptance?: ArrayLike<number>;
  /**
   * Per-chain paths (`chains.safetensors`, row-major `[steps, chains]`), drawn as thin lines
   * behind the batch mean, one per chain (at most `maxChains` of them), as the paper's eval.py
   * plots them.
   */
  chains?: { chains: number; energy: Float32Array; gradNorm: Float32Array };
  title?: string;
}

/** At most this many chains are drawn per panel (the first ones). */
export const MAX_CHAIN_LINES = 100;



const WIDTH = 380;
const HEIGHT = 240;

/** Column `c` of a row-major `[steps, chains]` array. */
function column(values: Float32Array, chains: number, c: number): Float64Array {
  const steps = values.length / chains;
  return Float64Array.from({ length: steps }, (_, i) => values[i * chains + c]);
}

function pathPanel(values: ArrayLike<number>, steps: ArrayLike<number> | undefined, yLabel: string, color: string, yDomain?: [number, number], perChain?: { values: Float32Array; chains: number }): Figure {
  const line = (series: ArrayLike<number>, stroke: string, width: number, opacity: number) => {
    const { x, y } = decimateMinMax(series, WIDTH);
    const xs = steps ? Float64Array.from(x, (i) => steps[i]) : Float64Array.from(x, (i) => i + 1);
    return Plot.line(xs, { x: (_: number, i: number) => xs[i], y: (_: number, i: number) => y[i], stroke, strokeWidth: width, strokeOpacity: opacity });
  };
  const marks = [];
  if (perChain) {
    for (let c = 0; c < Math.min(perChain.chains, MAX_CHAIN_LINES); c++) marks.push(line(column(perChain.values, perChain.chains, c), "#999999", 0.5, 0.35));
  }
  marks.push(line(values, color, perChain ? 1.5 : 1, 1));
  // Long runs of non-convergent models reach energies of −10⁷: SI ticks (−25M) keep the labels inside the margin.
  let largest = 0;
  for (const v of [...Array.from(values), ...(perChain ? perChain.values : [])]) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  return plotToSvg({
    width: WIDTH,
    height: HEIGHT,
    marginLeft: 60,
    x: { label: "Langevin step", labelAnchor: "center", labelArrow: "none", tickFormat: "~s" },
    y: { label: yLabel, labelArrow: "none", grid: true, ...(largest >= 1e4 ? { tickFormat: "~s" } : {}), ...(yDomain ? { domain: yDomain } : {}) },
    marks,
  });
}

/** Builds the sampling-path figure (2 panels, 3 with acceptance). */
export function samplingFigure(records: SamplingRecords): Figure {
  const n = records.energy.length;
  if (records.gradNorm.length !== n) throw new Error(`Cannot plot sampling paths: ${records.gradNorm.length} gradient norms for ${n} energies`);
  const ch = records.chains;
  if (ch && (ch.energy.length !== n * ch.chains || ch.gradNorm.length !== n * ch.chains)) {
    throw new Error(`Cannot plot sampling paths: per-chain records hold ${ch.energy.length / Math.max(1, ch.chains)} steps of ${ch.chains} chains, the batch means ${n} steps`);
  }
  // On the figure's title, not the panel's: a panel is WIDTH px wide and a longer title is clipped.
  const note = ch ? `${Math.min(ch.chains, MAX_CHAIN_LINES)} chains in grey, mean in colour` : "";
  const panels: Panel[] = [
    { title: "Energy f/T over sampling path", figure: pathPanel(records.energy, records.steps, "energy f/T", SERIES_COLORS.first, undefined, ch && { values: ch.energy, chains: ch.chains }) },
    { title: "Gradient magnitude over sampling path", figure: pathPanel(records.gradNorm, records.steps, "gradient magnitude", SERIES_COLORS.second, undefined, ch && { values: ch.gradNorm, chains: ch.chains }) },
  ];
  if (records.acceptance) {
    panels.push({ title: "MH acceptance rate", figure: pathPanel(records.acceptance, records.steps, "acceptance rate", "#2ca02c", [0, 1]) });
  }
  const title = records.title && note ? `${records.title} (${note})` : records.title ?? (note || undefined);
  return composePanels(panels, { columns: panels.length, title });
}
