/**
 * The per-iteration training log `metrics.jsonl` (owner of its schema, writer and readers): one
 * JSON object per line,
 * `{ "iter", "d_t", "r_t", "lr", "seconds" }` (iterations from 1; `lr` is the learning rate used
 * by that iteration's step; `seconds` the wall time of the iteration's training work, logging
 * excluded), plus any numbers a training problem adds (e.g. `train-hybrid`'s loss terms). Lines are appended as training
 * goes so a crash keeps everything logged; on resume the log is cut back to the checkpoint's
 * iteration. A missing field is an error naming the file, the line and the field.
 *
 * @example
 * ```ts
 * import { MetricsLog } from "./metrics_log.ts";
 * const log = await MetricsLog.open("work/metrics.jsonl", 0);
 * log.append({ iter: 1, d_t: 0.3, r_t: 1.2, lr: 1e-4, seconds: 0.5 });
 * log.close();
 * console.log(log.records.length); // 1
 * ```
 * @module
 */

/** The file name training steps write the log under. */
export const METRICS_LOG_FILE = "metrics.jsonl";

/** One line of metrics.jsonl. */
export interface IterationRecord {
  /** A training problem's own numbers (loss terms, accuracy…). */
  [extra: string]: number;
  iter: number;
  d_t: number;
  r_t: number;
  lr: number;
  seconds: number;
}

/** Parses metrics.jsonl text, naming the file and line of any malformed record. */
export function parseMetricsJsonl(text: string, source = "metrics.jsonl"): IterationRecord[] {
  const out: IterationRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch {
      // A torn last line (killed mid-write) is expected; anything earlier is corruption.
      if (i >= lines.length - 2) break;
      throw new Error(`Cannot read '${source}' line ${i + 1}: not valid JSON`);
    }
    for (const key of ["iter", "d_t", "r_t", "lr", "seconds"]) {
      if (typeof value[key] !== "number" && value[key] !== null) {
        throw new Error(`Cannot read '${source}' line ${i + 1}: field '${key}' should be a number, got ${JSON.stringify(value[key])}`);
      }
    }
    out.push(value as unknown as IterationRecord);
  }
  return out;
}

/**
 * An append-only metrics.jsonl with its records kept in memory (for the final summary). Records
 * default to {@link IterationRecord}; another training task passes its own record type and the
 * parser of its owner module (e.g. `train-fce`'s `lib/artifacts/fce_files.ts`).
 */
export class MetricsLog<R extends { iter: number } = IterationRecord> {
  readonly records: R[];
  #file: Deno.FsFile;
  #encoder = new TextEncoder();

  private constructor(records: R[], file: Deno.FsFile) {
    this.records = records;
    this.#file = file;
  }

  /**
   * Opens `path`, keeping the records of iterations 1..`keepThrough` already there (a resumed
   * run) and dropping the rest. Throws when iterations are missing before `keepThrough`.
   */
  static async open<R extends { iter: number } = IterationRecord>(
    path: string,
    keepThrough: number,
    parse: (text: string, source: string) => R[] = parseMetricsJsonl as unknown as (text: string, source: string) => R[],
  ): Promise<MetricsLog<R>> {
    let records: R[] = [];
    if (keepThrough > 0) {
      const text = await Deno.readTextFile(path).catch((e) => {
        if (e instanceof Deno.errors.NotFound) return "";
        throw e;
      });
      records = parse(text, path).filter((r) => r.iter <= keepThrough);
      for (let i = 0; i < keepThrough; i++) {
        if (records[i]?.iter !== i + 1) {
          throw new Error(`Cannot resume from '${path}': expected records of iterations 1..${keepThrough}, iteration ${i + 1} is missing`);
        }
      }
    }
    const body = records.map((r) => JSON.stringify(r) + "\n").join("");
    await Deno.writeTextFile(path, body);
    const file = await Deno.open(path, { append: true });
    return new MetricsLog<R>(records, file);
  }

  /** Appends one record (written through immediately). */
  append(record: R): void {
    this.records.push(record);
    const bytes = this.#encoder.encode(JSON.stringify(record) + "\n");
    let written = 0;
    while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // already closed
    }
  }
}

/** Per-iteration series of a training run, as the figure functions take them. */
export interface TrainingSeries {
  iterations: Float64Array;
  d: Float64Array;
  r: Float64Array;
}

/**
 * Reads `metrics.jsonl` as series (null values, written for non-finite numbers, become NaN);
 * a log with no iterations is an error.
 *
 * @example
 * ```ts ignore
 * const { iterations, d, r } = await readTrainingSeries("outputs/anatomy-toy/gmm-convergent/metrics.jsonl");
 * ```
 */
export async function readTrainingSeries(path: string): Promise<TrainingSeries> {
  const records = parseMetricsJsonl(await Deno.readTextFile(path), path);
  if (records.length === 0) throw new Error(`Cannot read '${path}': no iterations recorded`);
  const column = (pick: (r: IterationRecord) => number | null) => Float64Array.from(records, (r) => pick(r) ?? NaN);
  return { iterations: column((r) => r.iter), d: column((r) => r.d_t), r: column((r) => r.r_t) };
}
