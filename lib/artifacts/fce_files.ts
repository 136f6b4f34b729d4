/**
 * The files `train-fce` writes for other steps (the `plot-fce` figures, the report, a user's
 * PyTorch session). This module owns their schemas, writers and readers:
 *
 * - `metrics.jsonl`: one {@link FceRecord} per training step, appended as training goes:
 *   `{ "iter", "epoch", "model", "value", "accuracy", "seconds" }` plus `"mse_logp"` on evaluation
 *   steps of an 8gaussians run, `"dropped"` when overflowed flow samples were left out, and `"skipped": true` when the step's gradient was not finite and the model took no step. `value` is the value function V of the batch *before* the step
 *   (the curves plot −V), `accuracy` its classification accuracy, `model` the model that then took
 *   the Adam step (`"ebm"` or `"flow"`), `seconds` the step's wall time.
 * - `densities.safetensors`: `ebm_log_density` and `flow_log_density`, F32 `[R, R]` over
 *   [−m, m]² (`linspace` points, row index = y, column index = x, both ascending); metadata
 *   `extent` (m), `resolution` (R), `dataset`, `flow`, `iteration`.
 * - `ebm.safetensors` (EBM state_dict in the seed's keys and PyTorch layouts: `f.0.weight`
 *   [128, 2], `f.0.bias`, `f.2.weight` [128, 128], `f.2.bias`, `f.4.weight` [1, 128], `f.4.bias`,
 *   `c` [1]) and `flow.safetensors` (the flow's state_dict, keys in `lib/flows/maf.ts` /
 *   `lib/flows/glow.ts`), both with metadata `flow`, `dataset`, `iteration` and the model sizes;
 *   written and read by `lib/train/fce.ts`, which builds the networks ({@link FCE_EBM_FILE},
 *   {@link FCE_FLOW_FILE} name them).
 *
 * @example
 * ```ts
 * import { parseFceMetrics, readFceDensities, writeFceDensities } from "./fce_files.ts";
 * const records = parseFceMetrics('{"iter":1,"epoch":0,"model":"ebm","value":-1.4,"accuracy":0.5,"seconds":0.1}\n');
 * const dir = await Deno.makeTempDir();
 * await writeFceDensities(`${dir}/densities.safetensors`, { resolution: 2, extent: 4, ebm: new Float32Array(4), flow: new Float32Array(4) }, { dataset: "8gaussians", flow: "maf", iteration: "1" });
 * const d = await readFceDensities(`${dir}/densities.safetensors`);
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors } from "../util/safetensors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** File names inside a `train-fce` output. */
export const FCE_METRICS_FILE = "metrics.jsonl";
export const FCE_DENSITIES_FILE = "densities.safetensors";
export const FCE_EBM_FILE = "ebm.safetensors";
export const FCE_FLOW_FILE = "flow.safetensors";

/** One line of a `train-fce` metrics.jsonl. */
export interface FceRecord {
  iter: number;
  epoch: number;
  model: "ebm" | "flow";
  value: number;
  accuracy: number;
  seconds: number;
  mse_logp?: number;
  /** Flow samples left out of the batch because they overflowed (config `overflow: drop`); absent when none. */
  dropped?: number;
  /** True when the step's gradient was not finite and no step was taken (config `overflow: drop`); absent otherwise. */
  skipped?: true;
}

/** Parses a `train-fce` metrics.jsonl, naming the file, line and field of anything malformed. */
export function parseFceMetrics(text: string, source = FCE_METRICS_FILE): FceRecord[] {
  const out: FceRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line);
    } catch {
      if (i >= lines.length - 2) break; // a torn last line after a kill
      throw new Error(`Cannot read '${source}' line ${i + 1}: not valid JSON`);
    }
    for (const key of ["iter", "epoch", "value", "accuracy", "seconds"]) {
      if (typeof v[key] !== "number" && v[key] !== null) {
        throw new Error(`Cannot read '${source}' line ${i + 1}: field '${key}' should be a number, got ${JSON.stringify(v[key])}`);
      }
    }
    if (v.model !== "ebm" && v.model !== "flow") throw new Error(`Cannot read '${source}' line ${i + 1}: field 'model' should be "ebm" or "flow", got ${JSON.stringify(v.model)}`);
    if ("mse_logp" in v && typeof v.mse_logp !== "number" && v.mse_logp !== null) {
      throw new Error(`Cannot read '${source}' line ${i + 1}: field 'mse_logp' should be a number, got ${JSON.stringify(v.mse_logp)}`);
    }
    if ("skipped" in v && v.skipped !== true) throw new Error(`Cannot read '${source}' line ${i + 1}: field 'skipped' should be true when present, got ${JSON.stringify(v.skipped)}`);
    out.push(v as unknown as FceRecord);
  }
  return out;
}

/** Reads a `train-fce` metrics.jsonl. */
export async function readFceMetrics(path: string): Promise<FceRecord[]> {
  return parseFceMetrics(await Deno.readTextFile(path), path);
}

/** The two learned log-densities on the figure grid. */
export interface FceDensities {
  resolution: number;
  extent: number;
  /** log p(x) = −f(x) − c, row-major [R, R] (rows y, columns x). */
  ebm: Float32Array;
  /** log q(x) of the flow, same layout. */
  flow: Float32Array;
}

/** Writes {@link FceDensities} with string metadata (`dataset`, `flow`, `iteration`). */
export async function writeFceDensities(path: string, d: FceDensities, metadata: Record<string, string>): Promise<void> {
  const n = d.resolution * d.resolution;
  if (d.ebm.length !== n || d.flow.length !== n) throw new Error(`Cannot write '${path}': resolution ${d.resolution} needs ${n} values per grid, got ${d.ebm.length} and ${d.flow.length}`);
  await writeFileAtomic(path, encodeSafetensors({
    ebm_log_density: { dtype: "F32", shape: [d.resolution, d.resolution], data: d.ebm },
    flow_log_density: { dtype: "F32", shape: [d.resolution, d.resolution], data: d.flow },
  }, { ...metadata, extent: String(d.extent), resolution: String(d.resolution) }));
}

/** Reads a file written by {@link writeFceDensities}; errors name the file and the field. */
export async function readFceDensities(path: string): Promise<FceDensities & { metadata: Record<string, string> }> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  const resolution = Number(metadata.resolution), extent = Number(metadata.extent);
  if (!Number.isInteger(resolution) || resolution < 2) throw new Error(`Cannot read '${path}': metadata field 'resolution' should be a whole number ≥ 2, got ${JSON.stringify(metadata.resolution)}`);
  if (!(extent > 0)) throw new Error(`Cannot read '${path}': metadata field 'extent' should be a positive number, got ${JSON.stringify(metadata.extent)}`);
  const grid = (name: string) => {
    const t = tensors[name];
    if (!t || t.dtype !== "F32" || t.shape.length !== 2 || t.shape[0] !== resolution || t.shape[1] !== resolution) {
      throw new Error(`Cannot read '${path}': expected tensor '${name}' F32 [${resolution}, ${resolution}], got ${t ? `${t.dtype} [${t.shape}]` : "none"}`);
    }
    return t.data as Float32Array;
  };
  return { resolution, extent, ebm: grid("ebm_log_density"), flow: grid("flow_log_density"), metadata };
}

/** Summary of a run's records for metrics.json: the last `fraction` of the steps and the MSE track. */
export function summarizeFce(records: FceRecord[], fraction: number): Record<string, number | null> {
  const n = records.length;
  const tail = records.slice(Math.max(0, n - Math.max(1, Math.round(fraction * n))));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const mses = records.filter((r) => typeof r.mse_logp === "number") as (FceRecord & { mse_logp: number })[];
  return {
    steps: n,
    summary_steps: tail.length,
    neg_value_last: mean(tail.map((r) => -r.value)),
    accuracy_last: mean(tail.map((r) => r.accuracy)),
    ebm_step_fraction: n ? records.filter((r) => r.model === "ebm").length / n : null,
    ebm_step_fraction_last: tail.length ? tail.filter((r) => r.model === "ebm").length / tail.length : null,
    mse_logp: mses.length ? mses[mses.length - 1].mse_logp : null,
    mse_logp_min: mses.length ? Math.min(...mses.map((r) => r.mse_logp)) : null,
    mse_logp_first_below_0_1: mses.find((r) => r.mse_logp <= 0.1)?.iter ?? null,
    dropped_samples: records.reduce((s, r) => s + (r.dropped ?? 0), 0),
    steps_with_dropped: records.filter((r) => (r.dropped ?? 0) > 0).length,
    skipped_steps: records.filter((r) => r.skipped === true).length,
  };
}
