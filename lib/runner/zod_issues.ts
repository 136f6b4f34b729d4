/**
 * Turns a zod issue into one readable clause: `steps.train.config.lr_init: Too small: expected
 * number to be >0, got -1`. The offending value is looked up in the input by the issue's path.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { describeIssue } from "./zod_issues.ts";
 * const r = z.object({ lr: z.number().positive() }).safeParse({ lr: -1 });
 * if (!r.success) describeIssue(r.error.issues[0], { lr: -1 }, ["config"]); // "config.lr: … got -1"
 * ```
 * @module
 */
import type { z } from "zod";

/** `prefix.path: message, got <value>` for one issue against `input`. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown, prefix: readonly (string | number)[] = []): string {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `'${k}'`).join(", ");
    return `${path.length ? path.join(".") + ": " : ""}unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}`;
  }
  const value = valueAt(input, issue.path as (string | number)[]);
  const got = value === undefined ? "nothing" : formatValue(value);
  const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  return `${path.length ? path.join(".") + ": " : ""}${message}, got ${got}`;
}

/** A short display form of a config value (strings quoted, long values cut). */
export function formatValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}
