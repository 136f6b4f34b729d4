/**
 * `epochs.jsonl`, the joint classifier-EBM's per-epoch log (owner: schema, writer, reader): one
 * JSON object per finished epoch with the means over its batches of the loss terms and the
 * training accuracy (as the seed logs its epoch loss), and the validation cross-entropy and
 * accuracy on the held-out images (null when none are held out). Mean energies are by the run's
 * sign convention; `energy_sample` is null for the classifier-only baseline (no samples).
 *
 * @example
 * ```ts
 * import { encodeEpochLog, parseEpochLog } from "./hybrid_epochs.ts";
 * const text = encodeEpochLog([{ epoch: 1, iterations: 860, train_loss: 0.5, train_ce: 0.5, train_gen: 0,
 *   train_accuracy: 0.8, energy_real: -3, energy_sample: null, val_ce: 0.4, val_accuracy: 0.85, grad_norm: 0 }]);
 * parseEpochLog(text, "epochs.jsonl")[0].val_accuracy; // 0.85
 * ```
 * @module
 */
import { z } from "zod";

/** File name inside a training step's output. */
export const EPOCH_LOG_FILE = "epochs.jsonl";

const finite = () => z.number().finite();

/** One line of epochs.jsonl. */
export const EpochRecord = z.strictObject({
  epoch: z.number().int().positive(),
  /** Last iteration of this epoch (1-based, counted over the whole run). */
  iterations: z.number().int().positive(),
  train_loss: finite(),
  train_ce: finite(),
  /** Mean of `mean E(x_real) − mean E(x_sample)`; 0 without samples. */
  train_gen: finite(),
  train_accuracy: finite(),
  energy_real: finite(),
  energy_sample: finite().nullable(),
  /** Mean per-image ‖∇ₓE‖ over the Langevin steps; 0 without samples. */
  grad_norm: finite(),
  val_ce: finite().nullable(),
  val_accuracy: finite().nullable(),
});
export type EpochRecord = z.output<typeof EpochRecord>;

/** The file's text for `records` (one JSON object per line). */
export function encodeEpochLog(records: EpochRecord[]): string {
  return records.map((r) => JSON.stringify(EpochRecord.parse(r)) + "\n").join("");
}

/** Parses epochs.jsonl, naming the file, line and field of anything malformed. */
export function parseEpochLog(text: string, source = EPOCH_LOG_FILE): EpochRecord[] {
  const out: EpochRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`Cannot read '${source}' line ${i + 1}: not valid JSON`);
    }
    const parsed = EpochRecord.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`Cannot read '${source}' line ${i + 1}: field '${issue.path.join(".")}' ${issue.message}`);
    }
    out.push(parsed.data);
  });
  return out;
}

/** Reads epochs.jsonl from a file. */
export async function readEpochLog(path: string): Promise<EpochRecord[]> {
  return parseEpochLog(await Deno.readTextFile(path), path);
}
