/**
 * `deno task regress` command-line handling: help, unknown options and extra positionals give a
 * usage message and the documented exit codes, never a stack trace.
 */
import { assert, assertEquals } from "../assert.ts";
import { main } from "../../lib/regress/cli.ts";

/** Runs `main` with console output captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("regress --help prints the usage and exits 0", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await run([flag]);
    assertEquals(r.code, 0);
    assert(r.out.startsWith("Usage: deno task regress <pipeline>") && r.out.includes("Exit codes"), r.out);
  }
});

Deno.test("regress refuses unknown options and extra positionals with exit 2, naming them", async () => {
  const bogus = await run(["basins-fashion", "--bogus"]);
  assertEquals(bogus.code, 2);
  assert(bogus.err.startsWith("Cannot read the command line: Unknown option '--bogus'") && bogus.err.includes("Usage:"), bogus.err);
  const two = await run(["a", "b"]);
  assertEquals(two.code, 2);
  assert(two.err.includes("one pipeline expected, got a, b"), two.err);
  const none = await run([]);
  assertEquals(none.code, 2);
  assert(none.err.startsWith("Usage:"), none.err);
});
