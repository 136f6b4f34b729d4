/**
 * Aggregates a sweep: the runs of one step repeated over a parameter matrix (e.g. four seeds)
 * form a group; for every numeric summary metric of a group this computes mean, sample standard
 * deviation, min, max and n, and it checks relations between groups run by run (a relation
 * `a.kl_true_ebm < b.kl_true_ebm` compares the runs of `a` and `b` that share their matrix
 * values, e.g. the same seed). This module owns `aggregate.json` (schema, writer, reader).
 *
 * ```json
 * { "version": 1,
 *   "groups": { "gmm-convergent": { "runs": [{ "id": "gmm-convergent__seed-1", "matrix": { "seed": 1 } }],
 *     "metrics": { "kl_true_ebm": { "n": 4, "mean": 0.2, "sd": 0.03, "min": 0.17, "max": 0.24, "values": [0.2] } } } },
 *   "relations": [{ "left": "gmm-convergent.kl_true_ebm", "op": "<", "right": "gmm-nonconvergent.kl_true_ebm",
 *     "held": 4, "total": 4, "failed": [] }] }
 * ```
 *
 * @example
 * ```ts
 * import { aggregateRuns } from "./aggregate.ts";
 * const result = aggregateRuns([
 *   { id: "a__seed-1", group: "a", matrix: { seed: 1 }, metrics: { kl: 0.1 } },
 *   { id: "a__seed-2", group: "a", matrix: { seed: 2 }, metrics: { kl: 0.3 } },
 * ], []);
 * result.groups.a.metrics.kl.mean; // 0.2
 * ```
 * @module
 */
import { z } from "zod";
import { readJson, writeJsonAtomic } from "../util/fs.ts";

/** Version of `aggregate.json`. */
export const AGGREGATE_VERSION = 1;

/** One run of a sweep: its step id, its group (the step as written), matrix values and metrics. */
export interface SweepRun {
  id: string;
  group: string;
  matrix: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

/** A relation checked run by run: `left op right`, each side `<group>.<metric>`. */
export const Relation = z.object({
  left: z.string().regex(/^[^.]+\.[^.]+$/, "expected '<step>.<metric>'"),
  op: z.enum(["<", "<=", ">", ">="]),
  right: z.string().regex(/^[^.]+\.[^.]+$/, "expected '<step>.<metric>'"),
  /** The finding it encodes (shown in the report). */
  why: z.string().optional(),
});
/** A relation as configured. */
export type Relation = z.infer<typeof Relation>;

const stats = z.object({
  n: z.number().int().min(1),
  mean: z.number(),
  sd: z.number().nullable(),
  min: z.number(),
  max: z.number(),
  values: z.array(z.number()),
});
/** Summary of one metric over a group's runs (`sd` is null for a single run). */
export type MetricStats = z.infer<typeof stats>;

const relationResult = Relation.extend({
  held: z.number().int().min(0),
  total: z.number().int().min(0),
  /** Runs where it did not hold: their matrix values and both sides. */
  failed: z.array(z.object({ matrix: z.record(z.string(), z.unknown()), left: z.number(), right: z.number() })),
});
/** A relation's outcome over the runs. */
export type RelationResult = z.infer<typeof relationResult>;

const aggregateSchema = z.object({
  version: z.literal(AGGREGATE_VERSION),
  groups: z.record(z.string(), z.object({
    runs: z.array(z.object({ id: z.string(), matrix: z.record(z.string(), z.unknown()) })),
    metrics: z.record(z.string(), stats),
  })),
  relations: z.array(relationResult),
});
/** The content of `aggregate.json`. */
export type Aggregate = z.infer<typeof aggregateSchema>;

/** Mean, sample sd (n − 1), min, max of `values` (at least one). */
export function describe(values: number[]): MetricStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null;
  return { n, mean, sd, min: Math.min(...values), max: Math.max(...values), values };
}

const matrixKey = (m: Record<string, unknown>) => JSON.stringify(Object.keys(m).sort().map((k) => [k, m[k]]));

function holds(op: Relation["op"], a: number, b: number): boolean {
  switch (op) {
    case "<": return a < b;
    case "<=": return a <= b;
    case ">": return a > b;
    case ">=": return a >= b;
  }
}

/**
 * Groups `runs`, summarises every metric that is a finite number in every run of its group, and
 * checks `relations` run by run. Throws when a relation names a group or metric that is missing,
 * or when the two groups share no matrix values.
 */
export function aggregateRuns(runs: SweepRun[], relations: Relation[]): Aggregate {
  const byGroup = new Map<string, SweepRun[]>();
  for (const run of runs) byGroup.set(run.group, [...(byGroup.get(run.group) ?? []), run]);
  const groups: Aggregate["groups"] = {};
  for (const [group, members] of byGroup) {
    const names = Object.keys(members[0].metrics).filter((k) => members.every((r) => typeof r.metrics[k] === "number" && Number.isFinite(r.metrics[k])));
    groups[group] = {
      runs: members.map((r) => ({ id: r.id, matrix: r.matrix })),
      metrics: Object.fromEntries(names.map((k) => [k, describe(members.map((r) => r.metrics[k] as number))])),
    };
  }
  const results: RelationResult[] = relations.map((rel) => {
    const side = (text: string, which: string) => {
      const [group, metric] = text.split(".");
      const members = byGroup.get(group);
      if (!members) throw new Error(`Cannot check relation ${rel.left} ${rel.op} ${rel.right}: ${which} step '${group}' is not an input (inputs: ${[...byGroup.keys()].join(", ")})`);
      const bad = members.find((r) => typeof r.metrics[metric] !== "number");
      if (bad) throw new Error(`Cannot check relation ${rel.left} ${rel.op} ${rel.right}: run ${bad.id} has no numeric metric '${metric}'`);
      return new Map(members.map((r) => [matrixKey(r.matrix), r]));
    };
    const lefts = side(rel.left, "left"), rights = side(rel.right, "right");
    const leftMetric = rel.left.split(".")[1], rightMetric = rel.right.split(".")[1];
    let held = 0, total = 0;
    const failed: RelationResult["failed"] = [];
    for (const [key, l] of lefts) {
      const r = rights.get(key);
      if (!r) continue;
      total++;
      const a = l.metrics[leftMetric] as number, b = r.metrics[rightMetric] as number;
      if (holds(rel.op, a, b)) held++;
      else failed.push({ matrix: l.matrix, left: a, right: b });
    }
    if (total === 0) throw new Error(`Cannot check relation ${rel.left} ${rel.op} ${rel.right}: the two steps share no matrix values (pair runs by e.g. the same seed)`);
    return { ...rel, held, total, failed };
  });
  return { version: AGGREGATE_VERSION, groups, relations: results };
}

/** Writes `aggregate.json` atomically. */
export async function writeAggregate(path: string, aggregate: Aggregate): Promise<void> {
  await writeJsonAtomic(path, aggregate);
}

/** Reads and checks `aggregate.json`: "Cannot read aggregate 'x': field 'groups.a.metrics.kl.n' …". */
export async function readAggregate(path: string): Promise<Aggregate> {
  const value = await readJson<unknown>(path);
  const parsed = aggregateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Cannot read aggregate '${path}': field '${issue.path.join(".")}': ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Flat metrics for the lock file and the report: `<group>.<metric>.mean` / `.sd` for the metrics
 * named in `keep` (all when empty), and `relations_held` / `relations_total` over all runs.
 */
export function aggregateMetrics(aggregate: Aggregate, keep: string[] = []): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [group, g] of Object.entries(aggregate.groups)) {
    for (const [metric, s] of Object.entries(g.metrics)) {
      if (keep.length > 0 && !keep.includes(metric)) continue;
      out[`${group}.${metric}.mean`] = s.mean;
      out[`${group}.${metric}.sd`] = s.sd;
    }
  }
  out.relations_held = aggregate.relations.reduce((a, r) => a + r.held, 0);
  out.relations_total = aggregate.relations.reduce((a, r) => a + r.total, 0);
  return out;
}

/** A markdown table of `metrics` per group: `mean ± sd (n)`. */
export function aggregateTable(aggregate: Aggregate, metrics: string[], digits = 3): string {
  const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(digits));
  const lines = [`| step | ${metrics.join(" | ")} |`, `|---|${metrics.map(() => "---").join("|")}|`];
  for (const [group, g] of Object.entries(aggregate.groups)) {
    const cells = metrics.map((m) => {
      const s = g.metrics[m];
      return s ? `${fmt(s.mean)} ± ${s.sd === null ? "–" : fmt(s.sd)} (${s.n})` : "–";
    });
    lines.push(`| ${group} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}
