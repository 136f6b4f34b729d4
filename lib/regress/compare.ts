/**
 * Compares a run's metrics with a {@link Baseline}: one row per baselined metric and one per
 * relation, each `ok`, `regressed`, `improved` or `missing`.
 *
 * @example
 * ```ts
 * import { compareMetrics } from "./compare.ts";
 * const rows = compareMetrics(
 *   { train: { kl: 0.5 } },
 *   { version: 1, pipeline: "p", profile: null, relations: [],
 *     metrics: { "train.kl": { value: 0.3, tolerance: 0.1, relative: false, direction: "higher_is_worse" } } },
 * );
 * console.log(rows[0].status); // "regressed"
 * ```
 * @module
 */
import type { Baseline, LabelBaseline, MetricBaseline, NumericBaseline, Relation } from "./baseline.ts";

/** Metrics of a run: step id → its `metrics.json`. */
export type RunMetrics = Record<string, Record<string, unknown> | null | undefined>;

/** One line of the regression table. */
export interface ComparisonRow {
  /** `<step>.<metric>` or the relation as text. */
  name: string;
  kind: "metric" | "relation";
  status: "ok" | "improved" | "regressed" | "missing";
  /** The run's value (a string for a label metric). */
  value: number | string | null;
  baseline: number | string;
  tolerance: number | null;
  detail: string;
}

/** Looks up `<step>.<metric>` in the run's metrics; null when absent or not a finite number. */
export function lookupMetric(metrics: RunMetrics, key: string): number | null {
  const dot = key.indexOf(".");
  const value = metrics[key.slice(0, dot)]?.[key.slice(dot + 1)];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Looks up a label metric `<step>.<metric>`; null when absent or not a string. */
export function lookupLabel(metrics: RunMetrics, key: string): string | null {
  const dot = key.indexOf(".");
  const value = metrics[key.slice(0, dot)]?.[key.slice(dot + 1)];
  return typeof value === "string" ? value : null;
}

function isLabel(b: MetricBaseline): b is LabelBaseline {
  return typeof b.value === "string";
}

function compareLabel(name: string, value: string | null, b: LabelBaseline): ComparisonRow {
  const row: ComparisonRow = { name, kind: "metric", status: "ok", value, baseline: b.value, tolerance: null, detail: "label" };
  if (value === null) return { ...row, status: "missing", detail: "label not found in the run's metrics.json" };
  if (value !== b.value) return { ...row, status: "regressed", detail: `label changed: '${b.value}' → '${value}'` };
  return row;
}

function compareOne(name: string, value: number | null, b: NumericBaseline): ComparisonRow {
  const tolerance = b.relative ? b.tolerance * Math.abs(b.value) : b.tolerance;
  const row: ComparisonRow = { name, kind: "metric", status: "ok", value, baseline: b.value, tolerance, detail: "" };
  if (value === null) return { ...row, status: "missing", detail: "metric not found in the run's metrics.json" };
  const delta = value - b.value;
  const worse = b.direction === "higher_is_worse" ? delta > tolerance
    : b.direction === "lower_is_worse" ? -delta > tolerance
    : Math.abs(delta) > tolerance;
  const better = b.direction === "higher_is_worse" ? -delta > tolerance
    : b.direction === "lower_is_worse" ? delta > tolerance
    : false;
  row.detail = `Δ ${delta >= 0 ? "+" : ""}${formatNumber(delta)} (${b.direction.replaceAll("_", " ")})`;
  if (worse) row.status = "regressed";
  else if (better) row.status = "improved";
  return row;
}

function operand(metrics: RunMetrics, x: string | number): number | null {
  return typeof x === "number" ? x : lookupMetric(metrics, x);
}

function compareRelation(metrics: RunMetrics, r: Relation): ComparisonRow {
  const left = operand(metrics, r.left), right = operand(metrics, r.right);
  const name = `${r.left} ${r.op} ${r.right}`;
  const row: ComparisonRow = { name, kind: "relation", status: "ok", value: left, baseline: `${r.op} ${r.right}`, tolerance: null, detail: r.why };
  if (left === null || right === null) return { ...row, status: "missing", detail: `${r.why}; operand not found` };
  const holds = r.op === "<" ? left < right : r.op === "<=" ? left <= right : r.op === ">" ? left > right : left >= right;
  row.detail = `${formatNumber(left)} ${r.op} ${formatNumber(right)}: ${r.why}`;
  if (!holds) row.status = "regressed";
  return row;
}

/** Compares every baselined metric and relation; missing metrics count as failures. */
export function compareMetrics(metrics: RunMetrics, baseline: Baseline): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const [name, b] of Object.entries(baseline.metrics)) {
    rows.push(isLabel(b) ? compareLabel(name, lookupLabel(metrics, name), b) : compareOne(name, lookupMetric(metrics, name), b));
  }
  for (const r of baseline.relations) rows.push(compareRelation(metrics, r));
  return rows;
}

/** True when any row regressed or is missing. */
export function hasRegression(rows: ComparisonRow[]): boolean {
  return rows.some((r) => r.status === "regressed" || r.status === "missing");
}

/** Label metrics added to a new baseline: the `diagnose` verdicts (`<run>.learning`, `<run>.sampling`). */
const LABEL = /\.(learning|sampling)$/;

/** Metric names that measure wall time: too machine-dependent to baseline by default. */
const TIMING = /second|wall|_time|_ms$|per_s$/;

/**
 * A baseline that accepts the current values. Existing entries keep their tolerance and
 * direction; with no previous baseline, every finite numeric metric except timings is added with
 * direction `either` and a 10 % relative tolerance, to be tightened by hand, and every diagnosis
 * verdict (`<run>.learning`, `<run>.sampling`) as a label that must match exactly.
 */
export function updatedBaseline(
  metrics: RunMetrics,
  previous: Baseline | null,
  identity: { pipeline: string; profile: string | null },
): Baseline {
  const next: Baseline = previous
    ? { ...previous, metrics: { ...previous.metrics } }
    : { version: 1, ...identity, metrics: {}, relations: [] };
  if (!previous) {
    for (const [step, values] of Object.entries(metrics)) {
      for (const [key, value] of Object.entries(values ?? {})) {
        if (typeof value === "string" && LABEL.test(key)) next.metrics[`${step}.${key}`] = { value };
        if (typeof value !== "number" || !Number.isFinite(value) || TIMING.test(key)) continue;
        next.metrics[`${step}.${key}`] = { value, tolerance: 0.1, relative: true, direction: "either" };
      }
    }
  }
  for (const [name, b] of Object.entries(next.metrics)) {
    if (isLabel(b)) {
      const label = lookupLabel(metrics, name);
      if (label !== null) next.metrics[name] = { value: label };
      continue;
    }
    const value = lookupMetric(metrics, name);
    if (value !== null) next.metrics[name] = { ...b, value };
  }
  return next;
}

/** Numbers for the table: 4 significant digits, exponent form when tiny or huge. */
export function formatNumber(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e6 ? String(Number(x.toPrecision(4))) : x.toExponential(3);
}

/** A fixed-width text table of the rows. */
export function formatTable(rows: ComparisonRow[]): string {
  const header = ["status", "metric", "value", "baseline", "tolerance", "detail"];
  const body = rows.map((r) => [
    r.status.toUpperCase(),
    r.name,
    r.value === null ? "—" : typeof r.value === "string" ? r.value : formatNumber(r.value),
    typeof r.baseline === "number" ? formatNumber(r.baseline) : r.baseline,
    r.tolerance === null ? "" : `±${formatNumber(r.tolerance)}`,
    r.detail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
