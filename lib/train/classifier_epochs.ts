/**
 * What the joint classifier-EBM trainings (`train-hybrid`, `train-vera-jem`, `train-vera-ssl`)
 * share: per-epoch bookkeeping ({@link EpochTotals}: sums of each iteration's loss terms over the
 * current epoch, closed into one `epochs.jsonl` record (`lib/artifacts/hybrid_epochs.ts`) with the
 * validation result, and the resumable state `epoch_sums`, `epochs_json`), the cross-entropy and
 * {@link classify} (accuracy and mean CE of rows, in chunks).
 *
 * @example
 * ```ts
 * import { EpochTotals } from "./classifier_epochs.ts";
 * const totals = new EpochTotals();
 * totals.add({ loss: 1, ce: 0.5, gen: 0.5, accuracy: 0.8, energy_real: -2, energy_sample: -1, grad_norm: 0.1 });
 * totals.close({ epoch: 1, iterations: 1, generative: true, val: null });
 * console.log(totals.records[0].train_ce); // 0.5
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensor } from "../util/safetensors.ts";
import type { MlpClassifier } from "../nets/mlp_classifier.ts";
import type { EpochRecord } from "../artifacts/hybrid_epochs.ts";

/** Mean cross-entropy of integer labels under softmax(logits): mean(LogSumExp(s) − s_y). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(logits, tf.oneHot(labels, logits.shape[1])), 1);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), picked)) as tf.Scalar;
  });
}

/** Classification of rows (`rowSize` values each) in chunks: accuracy and mean cross-entropy. */
export function classify(mlp: MlpClassifier, rows: Float32Array, labels: Int32Array, rowSize: number, chunk = 1000): { accuracy: number; ce: number } {
  let correct = 0, ceSum = 0;
  const n = labels.length;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const [c, ce] = tf.tidy(() => {
      const x = tf.tensor2d(rows.subarray(start * rowSize, (start + m) * rowSize), [m, rowSize]);
      const y = tf.tensor1d(labels.subarray(start, start + m), "int32");
      const logits = mlp.logits(x);
      return [tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), "float32")), tf.mul(crossEntropy(logits, y), m)];
    });
    correct += c.dataSync()[0];
    ceSum += ce.dataSync()[0];
    tf.dispose([c, ce]);
  }
  return { accuracy: correct / n, ce: ceSum / n };
}

/** One iteration's terms, as the epoch record averages them. */
export interface IterationTerms {
  loss: number;
  ce: number;
  /** mean E(x_real) − mean E(x_sample); 0 without samples. */
  gen: number;
  accuracy: number;
  energy_real: number;
  /** 0 without samples. */
  energy_sample: number;
  grad_norm: number;
}

const FIELDS = ["loss", "ce", "gen", "accuracy", "energy_real", "energy_sample", "grad_norm"] as const;

/** Epoch sums and the records closed so far. */
export class EpochTotals {
  readonly records: EpochRecord[] = [];
  /** [batches, then FIELDS' sums] over the current epoch. */
  sums = new Float64Array(FIELDS.length + 1);

  /** Adds one iteration. */
  add(t: IterationTerms): void {
    this.sums[0] += 1;
    FIELDS.forEach((f, i) => (this.sums[i + 1] += t[f]));
  }

  /** Iterations summed since the last close. */
  get pending(): number {
    return this.sums[0];
  }

  /** Closes the epoch: one record of the means (energy_sample null without samples), fresh sums. */
  close(o: { epoch: number; iterations: number; generative: boolean; val: { accuracy: number; ce: number } | null }): EpochRecord {
    const n = this.sums[0];
    const mean = (f: (typeof FIELDS)[number]) => this.sums[FIELDS.indexOf(f) + 1] / n;
    const record: EpochRecord = {
      epoch: o.epoch,
      iterations: o.iterations,
      train_loss: mean("loss"),
      train_ce: mean("ce"),
      train_gen: mean("gen"),
      train_accuracy: mean("accuracy"),
      energy_real: mean("energy_real"),
      energy_sample: o.generative ? mean("energy_sample") : null,
      grad_norm: mean("grad_norm"),
      val_ce: o.val?.ce ?? null,
      val_accuracy: o.val?.accuracy ?? null,
    };
    this.records.push(record);
    this.sums = new Float64Array(FIELDS.length + 1);
    return record;
  }

  /** The resumable state: `epoch_sums` and `epochs_json`. */
  stateTensors(): Record<string, NamedTensor> {
    const json = new TextEncoder().encode(JSON.stringify(this.records));
    return {
      epoch_sums: { dtype: "F64", shape: [this.sums.length], data: Float64Array.from(this.sums) },
      epochs_json: { dtype: "U8", shape: [json.length], data: json },
    };
  }

  /** Restores {@link stateTensors}; `source` names the checkpoint in errors. */
  restore(t: Record<string, NamedTensor>, source: string): void {
    for (const key of ["epoch_sums", "epochs_json"]) if (!t[key]) throw new Error(`Cannot resume from ${source}: tensor '${key}' is missing`);
    if (t.epoch_sums.data.length !== this.sums.length) throw new Error(`Cannot resume from ${source}: 'epoch_sums' has ${t.epoch_sums.data.length} values, expected ${this.sums.length}`);
    this.sums = Float64Array.from(t.epoch_sums.data as Float64Array);
    this.records.splice(0, this.records.length, ...(JSON.parse(new TextDecoder().decode(t.epochs_json.data as Uint8Array)) as EpochRecord[]));
  }
}
