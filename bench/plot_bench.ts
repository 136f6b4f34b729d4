/**
 * Benchmark: the diagnostics figure for 100,000 training iterations — correlations in the worker
 * pool, Plot → SVG, resvg → PNG (2×) — against a reference run in the same command that draws
 * every point (no min/max decimation). Goal: < 2 s for ours. Prints the median of `--runs`
 * (default 5) after one warm-up; the reference runs once (`--reference-runs`), because resvg
 * needs ~1 minute to stroke a 100,000-point noisy path per panel.
 *
 * @example
 * ```sh
 * deno run -R -W -E -N --allow-ffi --allow-sys bench/plot_bench.ts --runs 5
 * ```
 * @module
 */
import { computeCorrelations, diagnosticsFigure } from "../lib/plot/diagnostics.ts";
import { svgToPng } from "../lib/plot/render.ts";
import { createPool } from "../lib/pool/pool.ts";
import { Random } from "../lib/util/random.ts";

const ITERATIONS = 100_000;
function countArg(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  const value = at >= 0 ? Number(Deno.args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`Cannot run the benchmark: expected ${name} to be a positive whole number, got ${Deno.args[at + 1]}`);
  return value;
}
const runs = countArg("--runs", 5);
const referenceRuns = countArg("--reference-runs", 1);

const rng = new Random(2020);
const d = new Float64Array(ITERATIONS), r = new Float64Array(ITERATIONS);
let previous = 0;
for (let t = 0; t < ITERATIONS; t++) {
  d[t] = -0.6 * previous + rng.normal();
  previous = d[t];
  r[t] = 3 + 0.3 * d[t] + 0.2 * rng.normal();
}

const pool = createPool({ threads: 1 });

async function once(lineBuckets?: number): Promise<{ ms: number; svgBytes: number; pngBytes: number }> {
  const start = performance.now();
  const correlations = await computeCorrelations(d, r, pool);
  const figure = diagnosticsFigure({ d, r, correlations, lineBuckets, title: "benchmark" });
  const png = svgToPng(figure.svg);
  return { ms: performance.now() - start, svgBytes: figure.svg.length, pngBytes: png.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(label: string, runs: number, warmUp: boolean, lineBuckets?: number) {
  if (warmUp) await once(lineBuckets);
  const times: number[] = [];
  let last = { ms: 0, svgBytes: 0, pngBytes: 0 };
  for (let i = 0; i < runs; i++) {
    last = await once(lineBuckets);
    times.push(last.ms);
  }
  const m = median(times);
  console.log(`${label.padEnd(34)} median ${(m / 1000).toFixed(3)} s over ${runs} runs  (SVG ${(last.svgBytes / 1e6).toFixed(2)} MB, PNG ${(last.pngBytes / 1e3).toFixed(0)} kB)`);
  return m;
}

console.log(`Diagnostics figure, ${ITERATIONS.toLocaleString("en")} iterations (correlations in the pool + SVG + 2× PNG); Deno ${Deno.version.deno}`);
const ours = await measure("ours (min/max per pixel column)", runs, true);
console.log("reference: drawing all points (takes minutes on a loaded machine)…");
const reference = await measure("reference (every point drawn)", referenceRuns, false, ITERATIONS);
await pool.close();
console.log(`speed-up vs reference: ${(reference / ours).toFixed(1)}×; goal < 2 s: ${ours < 2000 ? "met" : "NOT met"} (${(ours / 1000).toFixed(3)} s)`);
if (ours >= 2000) Deno.exit(1);
