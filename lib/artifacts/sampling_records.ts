/**
 * The batch-mean sampling records and final states of `longrun-sample` / `eval-sample`: owner of
 * their schema, writers and readers (the per-chain records are `sampling_chains.ts`'s).
 *
 * - `records.json`: columns `{ step, energy, grad_norm, acceptance? }`, one entry per step (batch
 *   means; `acceptance` only for MALA; null for non-finite values). The reader also accepts rows
 *   `[{ step, energy, grad_norm, acceptance? }]` and the names `gradNorm`/`grad`, `accept`.
 * - `final_states.safetensors`: tensor `states` [N, H, W, C] F32; metadata `checkpoint`, `config`.
 *
 * @example
 * ```ts ignore
 * await writeSamplingRecords(`${out}/${RECORDS_FILE}`, { step: [1], energy: [0.5], grad_norm: [0.1] });
 * const { energy, gradNorm } = parseSamplingRecords(await readJson(`${out}/${RECORDS_FILE}`), "records.json");
 * const states = await readFinalStates(`${out}/${FINAL_STATES_FILE}`);
 * ```
 * @module
 */
import { decodeSafetensors, encodeSafetensors } from "../util/safetensors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";

/** File names in a sampling step's output. */
export const RECORDS_FILE = "records.json";
export const FINAL_STATES_FILE = "final_states.safetensors";

/** The per-step columns as read back. */
export interface SamplingColumns {
  /** Step numbers (default 1, 2, …). */
  steps?: ArrayLike<number>;
  energy: ArrayLike<number>;
  gradNorm: ArrayLike<number>;
  /** Acceptance rate per step (MALA only). */
  acceptance?: ArrayLike<number>;
}

/**
 * Writes `records.json` (columns as written by the sampling tasks).
 *
 * @example
 * ```ts ignore
 * await writeSamplingRecords(`${ctx.outDir}/${RECORDS_FILE}`, columns);
 * ```
 */
export async function writeSamplingRecords(path: string, columns: { step: number[]; energy: number[]; grad_norm: number[]; acceptance?: number[] }): Promise<void> {
  await writeJsonAtomic(path, columns);
}

function numbers(value: unknown, field: string, source: string): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "number" && v !== null)) {
    throw new Error(`Cannot read sampling records '${source}': expected '${field}' to be an array of numbers`);
  }
  return value.map((v) => (v === null ? NaN : v));
}

/**
 * Normalises either accepted JSON layout (columns or rows; `grad_norm`, `gradNorm` or `grad`) to
 * {@link SamplingColumns}. `source` names the file in errors.
 */
export function parseSamplingRecords(json: unknown, source: string): SamplingColumns {
  const rows = Array.isArray(json) ? json : (json as { records?: unknown })?.records;
  if (Array.isArray(rows)) {
    const pick = (row: Record<string, unknown>, names: string[]) => names.map((n) => row[n]).find((v) => v !== undefined);
    const cols: Record<string, unknown[]> = { step: [], energy: [], grad_norm: [], acceptance: [] };
    for (const row of rows as Record<string, unknown>[]) {
      cols.step.push(pick(row, ["step", "iter"]));
      cols.energy.push(pick(row, ["energy", "mean_energy"]));
      cols.grad_norm.push(pick(row, ["grad_norm", "gradNorm", "grad"]));
      cols.acceptance.push(pick(row, ["acceptance", "accept"]));
    }
    json = {
      step: cols.step.every((v) => v !== undefined) ? cols.step : undefined,
      energy: cols.energy,
      grad_norm: cols.grad_norm,
      acceptance: cols.acceptance.every((v) => v !== undefined) ? cols.acceptance : undefined,
    };
  }
  if (typeof json !== "object" || json === null) throw new Error(`Cannot read sampling records '${source}': expected a JSON object or array`);
  const o = json as Record<string, unknown>;
  const gradField = ["grad_norm", "gradNorm", "grad"].find((k) => o[k] !== undefined) ?? "grad_norm";
  const records: SamplingColumns = { energy: numbers(o.energy, "energy", source), gradNorm: numbers(o[gradField], gradField, source) };
  if (o.step !== undefined) records.steps = numbers(o.step, "step", source);
  const acceptField = ["acceptance", "accept"].find((k) => o[k] !== undefined);
  if (acceptField) records.acceptance = numbers(o[acceptField], acceptField, source);
  const n = records.energy.length;
  for (const [name, arr] of [["step", records.steps], ["grad_norm", records.gradNorm], ["acceptance", records.acceptance]] as const) {
    if (arr && arr.length !== n) throw new Error(`Cannot read sampling records '${source}': '${name}' has ${arr.length} entries but 'energy' has ${n}`);
  }
  if (n === 0) throw new Error(`Cannot read sampling records '${source}': no steps recorded`);
  return records;
}

/**
 * Writes the final chain states (`shape` [N, H, W, C]) with the checkpoint and config they came from.
 *
 * @example
 * ```ts ignore
 * await writeFinalStates(`${ctx.outDir}/${FINAL_STATES_FILE}`, states, [100, 32, 32, 3], { checkpoint: path, config: JSON.stringify(c) });
 * ```
 */
export async function writeFinalStates(path: string, states: Float32Array, shape: number[], metadata: { checkpoint: string; config: string }): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors({ states: { dtype: "F32", shape, data: states } }, metadata));
}

/**
 * Reads the final chain states; a file without tensor `states` is an error naming the file.
 *
 * @example
 * ```ts ignore
 * const { data, shape } = await readFinalStates("outputs/basins-fashion/longrun/final_states.safetensors");
 * ```
 */
export async function readFinalStates(path: string): Promise<{ data: Float32Array; shape: number[] }> {
  const { tensors } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  const states = tensors.states;
  if (!states) throw new Error(`Cannot read '${path}': tensor 'states' is missing`);
  if (states.dtype !== "F32") throw new Error(`Cannot read '${path}': tensor 'states' must be F32, got ${states.dtype}`);
  return { data: states.data as Float32Array, shape: states.shape };
}
