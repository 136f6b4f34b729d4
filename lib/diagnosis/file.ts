/**
 * `diagnosis.json`, written by the `diagnose` task: the one owner of its schema, writer and
 * reader. One entry per training step upstream:
 *
 * ```json
 * { "<training step id>": { "learning": "stable" | "unstable",
 *     "sampling": "convergent" | "non-convergent" | "not assessed",
 *     "evidence": [ { "test": "…", "value": 0.2, "threshold": 3, "why": "passes: …" } ] } }
 * ```
 *
 * Each evidence `why` starts with `passes:` or `fails:`, then says why the test matters; `value`
 * and `threshold` are numbers (null when not measurable).
 *
 * @example
 * ```ts ignore
 * import { DIAGNOSIS_FILE, readDiagnosis, writeDiagnosis } from "./file.ts";
 * await writeDiagnosis(`${dir}/${DIAGNOSIS_FILE}`, { train: { learning: "stable", sampling: "not assessed", evidence: [] } });
 * const d = await readDiagnosis(`${dir}/${DIAGNOSIS_FILE}`);
 * ```
 * @module
 */
import { z } from "zod";
import { writeJsonAtomic } from "../util/fs.ts";
import type { Evidence } from "./rules.ts";

/** File name of the diagnosis inside the `diagnose` step's output directory. */
export const DIAGNOSIS_FILE = "diagnosis.json";

const EvidenceEntry = z.strictObject({
  test: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  why: z.string(),
});

const RunDiagnosis = z.strictObject({
  learning: z.enum(["stable", "unstable"]),
  sampling: z.enum(["convergent", "non-convergent", "not assessed"]),
  evidence: z.array(EvidenceEntry),
});
export type RunDiagnosis = z.infer<typeof RunDiagnosis>;

const Diagnosis = z.record(z.string(), RunDiagnosis);
export type Diagnosis = z.infer<typeof Diagnosis>;

/** An evidence entry as the file holds it (pass/fail folded into `why`; non-finite values as null). */
export function evidenceEntry(e: Evidence): z.infer<typeof EvidenceEntry> {
  const num = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
  return { test: e.test, value: num(e.value), threshold: num(e.threshold), why: `${e.passed ? "passes" : "fails"}: ${e.why}` };
}

/** True when an entry's `why` records a failed test. */
export function evidenceFailed(e: { why: string }): boolean {
  return e.why.startsWith("fails:");
}

/** Writes `diagnosis.json` atomically after checking it against the schema. */
export async function writeDiagnosis(path: string, diagnosis: Diagnosis): Promise<void> {
  const checked = Diagnosis.safeParse(diagnosis);
  if (!checked.success) throw new Error(`Cannot write '${path}': ${checked.error.issues[0].path.join(".")}: ${checked.error.issues[0].message}`);
  await writeJsonAtomic(path, checked.data);
}

/** Reads and checks `diagnosis.json`; errors name the file and the offending field. */
export async function readDiagnosis(path: string): Promise<Diagnosis> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`Cannot read '${path}': ${(e as Error).message}`);
  }
  const checked = Diagnosis.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new Error(`Cannot read '${path}': ${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
  }
  return checked.data;
}
