/**
 * Minimal assertions for the test suite (deno std is not reachable: no JSR here).
 *
 * @example
 * ```ts
 * import { assert, assertClose, assertEquals, assertThrowsAsync } from "./assert.ts";
 * assert(1 < 2, "order");
 * assertEquals({ a: [1] }, { a: [1] });
 * assertClose(new Float32Array([1, 2]), new Float32Array([1, 2.000001]), 1e-5);
 * await assertThrowsAsync(() => Promise.reject(new Error("bad 'lr'")), "bad 'lr'");
 * ```
 * @module
 */

/** Throws with `message` unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep equality by canonical JSON. */
export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message ? message + ": " : ""}expected ${e}, got ${a}`);
}

/**
 * Max relative error `max|a−b| / max(max|b|, tiny)` over all elements must be ≤ `tolerance`.
 * Returns the error so a test can print it.
 */
export function assertClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tolerance: number, message = ""): number {
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  if (a.length !== e.length) throw new Error(`${message}: length ${a.length} ≠ ${e.length}`);
  let maxDiff = 0, scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(e[i])) throw new Error(`${message}: non-finite value at ${i}: ${a[i]} vs ${e[i]}`);
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - e[i]));
    scale = Math.max(scale, Math.abs(e[i]));
  }
  const err = maxDiff / scale;
  if (!(err <= tolerance)) throw new Error(`${message ? message + ": " : ""}relative error ${err.toExponential(2)} > ${tolerance}`);
  return err;
}

/** The promise must reject with an error whose message contains every `fragment`. */
export async function assertThrowsAsync(fn: () => Promise<unknown>, ...fragments: string[]): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    for (const f of fragments) {
      if (!String(err.message).includes(f)) throw new Error(`expected error containing '${f}', got: ${err.message}`);
    }
    return err;
  }
  throw new Error(`expected a rejection containing ${fragments.map((f) => `'${f}'`).join(", ")}`);
}
