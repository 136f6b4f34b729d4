/**
 * Test helper: runs `fn` with the environment variable `name` set to `value` (deleted when
 * `value` is undefined), restoring the previous value afterwards, even when `fn` throws.
 *
 * @example
 * ```ts
 * import { withEnv } from "./env.ts";
 * const seen = withEnv("EBM_EXAMPLE", "1", () => Deno.env.get("EBM_EXAMPLE")); // "1"
 * ```
 * @module
 */
export function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
  const old = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  try {
    return fn();
  } finally {
    if (old === undefined) Deno.env.delete(name);
    else Deno.env.set(name, old);
  }
}
