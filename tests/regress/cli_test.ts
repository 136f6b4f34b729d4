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

Deno.test("regress --only checks just the selected steps: other steps' lock entries (kept from an earlier run) stay out", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/outputs/p`, { recursive: true });
    await Deno.mkdir(`${root}/configs/baselines`, { recursive: true });
    // `b` ran in an earlier run (another profile): the runner keeps its entry in the lock.
    const lock = { steps: { a: { status: "ran", metrics: { kl: 0.5 } }, a__seed_1: { status: "ran", metrics: { kl: 0.6 } }, b: { status: "ran", metrics: { kl: 9 } } } };
    await Deno.writeTextFile(`${root}/outputs/p/pipeline.lock.json`, JSON.stringify(lock));
    const created = await run(["p", "--profile", "paper", "--only", "a", "--no-run", "--update", "--root", root]);
    assertEquals(created.code, 0, created.err);
    const baseline = JSON.parse(await Deno.readTextFile(`${root}/configs/baselines/p.paper.json`));
    assertEquals(Object.keys(baseline.metrics).sort(), ["a.kl", "a__seed_1.kl"]);
    const ok = await run(["p", "--profile", "paper", "--only", "a", "--no-run", "--root", root]);
    assertEquals(ok.code, 0, ok.out + ok.err);
    // A baseline entry of a step outside the selection is missing, not silently passed.
    baseline.metrics["b.kl"] = { value: 9, tolerance: 0, relative: false, direction: "either" };
    await Deno.writeTextFile(`${root}/configs/baselines/p.paper.json`, JSON.stringify(baseline));
    const missing = await run(["p", "--profile", "paper", "--only", "a", "--no-run", "--root", root]);
    assertEquals(missing.code, 1);
    assert(/MISSING\s+b\.kl/.test(missing.out), missing.out);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
