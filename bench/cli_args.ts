/**
 * Command-line flags, medians and the entry point shared by the benchmark scripts, so every
 * bench reads `--name value` the same way and rejects bad numbers in one voice.
 *
 * @example
 * ```ts
 * import { benchFlags, flag, median, positiveIntFlag, runMain } from "./cli_args.ts";
 * benchFlags("Usage: deno run -A bench/x.ts [--reps N] [--nets a,b]", ["reps", "nets"]);
 * const reps = positiveIntFlag("reps", 9);
 * const nets = flag("nets", "toy,vanilla").split(",");
 * await runMain(async () => console.log(median([3, 1, 2]))); // 2
 * ```
 * @module
 */

/**
 * Checks the command line before a bench starts: `--help`/`-h` prints `usage` and exits 0; a flag
 * that is neither in `names` (flags taking a value) nor in `switches` (flags alone) exits 2
 * naming it, so a typo never runs a long benchmark with defaults.
 *
 * @example
 * ```ts
 * benchFlags("Usage: deno task bench [--reps N] [--no-torch]", ["reps"], ["no-torch"]);
 * ```
 */
export function benchFlags(usage: string, names: readonly string[], switches: readonly string[] = []): void {
  const args = Deno.args;
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    Deno.exit(0);
  }
  const problem = commandLineProblem(args, names, switches);
  if (problem) {
    console.error(`Cannot read the command line: ${problem}\n${usage}`);
    Deno.exit(2);
  }
}

/**
 * What is wrong with `args` for value-taking flags `names` and lone `switches`, or null.
 *
 * @example
 * ```ts
 * commandLineProblem(["--rep", "3"], ["reps"]); // "unknown flag '--rep' (known: --reps)"
 * ```
 */
export function commandLineProblem(args: readonly string[], names: readonly string[], switches: readonly string[] = []): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) return `unexpected argument '${arg}'`;
    const name = arg.slice(2);
    if (switches.includes(name)) continue;
    if (!names.includes(name)) return `unknown flag '${arg}' (known: ${[...names, ...switches].map((n) => `--${n}`).join(", ")})`;
    if (i + 1 >= args.length) return `'${arg}' needs a value`;
    i++;
  }
  return null;
}

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
 * A finite number from `--name`, or `fallback`; anything else throws
 * "Cannot read --name: expected a number, got 'value'".
 *
 * @example
 * ```ts
 * const lr = numberFlag("lr", 1e-3);
 * ```
 */
export function numberFlag(name: string, fallback: number): number {
  const raw = flag(name, String(fallback));
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new Error(`Cannot read --${name}: expected a number, got '${raw}'`);
  return v;
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
 * async function main(): Promise<void> {
 *   console.log("measured");
 * }
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
