/**
 * Command-line flags, medians and the entry point shared by the benchmark scripts, so every
 * bench reads `--name value` the same way and rejects bad numbers in one voice.
 *
 * @example
 * ```ts
 * import { flag, median, positiveIntFlag, runMain } from "./cli_args.ts";
 * const reps = positiveIntFlag("reps", 9);
 * const nets = flag("nets", "toy,vanilla").split(",");
 * await runMain(async () => console.log(median([3, 1, 2]))); // 2
 * ```
 * @module
 */

/** The value after `--name`, or `fallback` when the flag is absent. */
export function flag(name: string, fallback: string): string;
export function flag(name: string, fallback: string | undefined): string | undefined;
export function flag(name: string, fallback: string | undefined): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

/**
 * `--name` as a positive integer (default `fallback`); anything else throws
 * "Cannot read --name: expected a positive integer, got 'value'".
 *
 * @example
 * ```ts
 * const batch = positiveIntFlag("batch", 100);
 * ```
 */
export function positiveIntFlag(name: string, fallback: number): number {
  const raw = flag(name, String(fallback));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Cannot read --${name}: expected a positive integer, got '${raw}'`);
  return n;
}

/**
 * The median of `values` (mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * median([4, 1, 3, 2]); // 2.5
 * ```
 */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Runs a bench's `main`: a failure prints its message and exits 1; success exits 0 at once,
 * because threaded backends keep worker threads alive after the work is done.
 *
 * @example
 * ```ts
 * if (import.meta.main) await runMain(main);
 * ```
 */
export async function runMain(main: () => Promise<void>): Promise<never> {
  try {
    await main();
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
  Deno.exit(0);
}
