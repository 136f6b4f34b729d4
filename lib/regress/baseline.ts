/**
 * Regression baselines: `configs/baselines/<pipeline>.<profile>.json` holds, per metric
 * (`<step>.<metric>` as written to the step's `metrics.json`), the accepted value, a tolerance and
 * the direction in which a change counts as a regression — or, for a label such as a diagnosis
 * verdict, just the string the run must give — plus relations that encode the paper's
 * findings (e.g. "convergent toy KL < non-convergent toy KL").
 *
 * @example
 * ```ts
 * import { parseBaseline } from "./baseline.ts";
 * const baseline = parseBaseline({
 *   version: 1, pipeline: "anatomy-toy", profile: "smoke",
 *   metrics: { "train.d_t_lag1_autocorr": { value: -0.4, tolerance: 0.2, direction: "higher_is_worse" } },
 *   relations: [{ left: "train.d_t_lag1_autocorr", op: "<", right: 0, why: "stable ML learning" }],
 * }, "configs/baselines/anatomy-toy.smoke.json");
 * ```
 * @module
 */
import { z } from "zod";

/**
 * Which change of a metric is a regression:
 * - `higher_is_worse`: value > baseline + tolerance (a loss, a KL, seconds);
 * - `lower_is_worse`: value < baseline − tolerance (an accuracy, a speed-up);
 * - `either`: |value − baseline| > tolerance (a statistic that should not move).
 */
export const Direction = z.enum(["higher_is_worse", "lower_is_worse", "either"]);
export type Direction = z.infer<typeof Direction>;

const NumericBaseline = z.strictObject({
  value: z.number(),
  /** Absolute tolerance, or relative to |value| when `relative` is true. */
  tolerance: z.number().nonnegative(),
  relative: z.boolean().default(false),
  direction: Direction,
});
export type NumericBaseline = z.infer<typeof NumericBaseline>;

/** A label (e.g. `diagnose`'s `gmm-convergent.sampling: "convergent"`): the run must give exactly this string. */
const LabelBaseline = z.strictObject({ value: z.string() });
export type LabelBaseline = z.infer<typeof LabelBaseline>;

const MetricBaseline = z.union([NumericBaseline, LabelBaseline]);
export type MetricBaseline = z.infer<typeof MetricBaseline>;

const Operand = z.union([z.string().regex(/^[^.]+\..+$/, "expected '<step>.<metric>'"), z.number()]);

const Relation = z.strictObject({
  left: Operand,
  op: z.enum(["<", "<=", ">", ">="]),
  right: Operand,
  /** Why the relation must hold (the paper finding it encodes); printed with the result. */
  why: z.string(),
});
export type Relation = z.infer<typeof Relation>;

export const Baseline = z.strictObject({
  version: z.literal(1),
  pipeline: z.string(),
  profile: z.string().nullable(),
  metrics: z.record(z.string().regex(/^[^.]+\..+$/, "expected '<step>.<metric>'"), MetricBaseline),
  relations: z.array(Relation).default([]),
});
export type Baseline = z.infer<typeof Baseline>;

/** Validates a parsed baseline document; errors name the file and the offending path. */
export function parseBaseline(value: unknown, file: string): Baseline {
  const result = Baseline.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.map(String).join(".") || "(root)";
    throw new Error(`Cannot read baseline '${file}': ${path}: ${issue.message}`);
  }
  return result.data;
}

/** Path of the baseline for a pipeline and profile, relative to the project root. */
export function baselinePath(pipeline: string, profile: string | null): string {
  return `configs/baselines/${pipeline}.${profile ?? "default"}.json`;
}
