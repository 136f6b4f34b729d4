/**
 * Reading the project's environment knobs (`EBM_*`) in one voice: unset, empty and unreadable
 * (no `--allow-env`) all mean "use the default", and a malformed value is an error naming the
 * variable and the value.
 *
 * @example
 * ```ts
 * import { readEnv, readEnvInteger, readEnvSwitch } from "./env.ts";
 * const threads = readEnvInteger("EBM_NATIVE_THREADS", 1) ?? navigator.hardwareConcurrency;
 * const reuse = readEnvSwitch("EBM_NATIVE_HEAP_REUSE") ?? true;
 * const path = readEnv("EBM_DNNL_PATH");
 * ```
 * @module
 */

/**
 * The variable's trimmed value, or undefined when it is unset, blank, or cannot be read
 * (without env permission the defaults still work).
 *
 * @example
 * ```ts
 * readEnv("EBM_DNNL_PATH"); // undefined unless set
 * ```
 */
export function readEnv(name: string): string | undefined {
  let raw: string | undefined;
  try {
    raw = Deno.env.get(name);
  } catch {
    return undefined;
  }
  const trimmed = raw?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The variable as an integer ≥ `min`, or undefined when it is not set (see {@link readEnv}).
 * Throws "Cannot read env NAME: expected …, got 'value'" for anything else.
 *
 * @example
 * ```ts
 * const poolMb = readEnvInteger("EBM_NATIVE_POOL_MB", 0) ?? 512;
 * ```
 */
export function readEnvInteger(name: string, min: number): number | undefined {
  const raw = readEnv(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    const expected = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`;
    throw new Error(`Cannot read env ${name}: expected ${expected}, got '${raw}'`);
  }
  return n;
}

/**
 * An on/off switch: "1" → true, "0" → false, not set → undefined; anything else throws
 * naming the variable and the value.
 *
 * @example
 * ```ts
 * const fma = readEnvSwitch("EBM_WASM_FMA") ?? true;
 * ```
 */
export function readEnvSwitch(name: string): boolean | undefined {
  const raw = readEnv(name);
  if (raw === undefined) return undefined;
  if (raw === "1") return true;
  if (raw === "0") return false;
  throw new Error(`Cannot read env ${name}: expected 0 or 1, got '${raw}'`);
}
