/**
 * `deno task regress <pipeline> [--profile P] [--update] [--set k=v]… [--backend B]
 * [--only STEP]…`: runs the pipeline cold (`--force`, so a cache cannot hide a regression),
 * compares every step's `metrics.json` with `configs/baselines/<pipeline>.<profile>.json`,
 * prints a table and exits 1 on any regression or missing metric. `--update` rewrites the
 * baseline with the run's values after a deliberate change (tolerances and directions are kept).
 * `--only` runs just the named steps (the runner's `--only`) and checks only their metrics (a
 * baseline entry of another step counts as missing).
 *
 * @example
 * ```sh
 * deno task regress basins-fashion --profile smoke
 * deno task regress basins-fashion --profile smoke --update
 * deno task regress anatomy-toy --profile paper --only gmm-nonconvergent
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { baselinePath, parseBaseline, type Baseline } from "./baseline.ts";
import { compareMetrics, formatTable, hasRegression, type RunMetrics, updatedBaseline } from "./compare.ts";
import { exists, readJson, writeJsonAtomic } from "../util/fs.ts";

interface LockFile {
  steps: Record<string, { status: string; metrics?: Record<string, unknown> | null }>;
}

/** Runs the pipeline as a user would (the CLI in a subprocess), passing stdout/stderr through. */
async function runPipeline(pipeline: string, passThrough: string[], root: string): Promise<number> {
  const cli = new URL("../runner/cli.ts", import.meta.url).pathname;
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-R", "-W", "-E", "-N", "--allow-ffi", "--allow-sys", "--allow-run", cli, "pipeline", pipeline, "--force", ...passThrough],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  });
  return (await command.output()).code;
}

const USAGE = `Usage: deno task regress <pipeline> [--profile P] [--update] [--set k=v]… [--backend B] [--only STEP]… [--root DIR] [--no-run]
  Runs the pipeline cold and compares every step's metrics with configs/baselines/<pipeline>.<profile>.json.
  --only runs and checks just the named steps (baseline entries of other steps count as missing).
  --update rewrites the baseline with this run's values (tolerances kept); --no-run checks the last run.
  Exit codes: 0 within baseline (or updated), 1 a regression, missing metric or failed run, 2 invalid input.`;

/** Entry point; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const parse = () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        profile: { type: "string" },
        update: { type: "boolean", default: false },
        set: { type: "string", multiple: true, default: [] },
        backend: { type: "string" },
        only: { type: "string", multiple: true, default: [] },
        root: { type: "string", default: "." },
        "no-run": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    // node's messages run on with advice about '--'; the first sentence names the option
    console.error(`Cannot read the command line: ${(error as Error).message.split(". ")[0]}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const pipeline = positionals[0];
  if (!pipeline || positionals.length > 1) {
    console.error(`${pipeline ? `Cannot read the command line: one pipeline expected, got ${positionals.join(", ")}\n` : ""}${USAGE}`);
    return 2;
  }
  const root = values.root!;
  const profile = values.profile ?? null;
  const passThrough = [
    ...(profile ? ["--profile", profile] : []),
    ...values.set!.flatMap((s) => ["--set", s]),
    ...(values.backend ? ["--backend", values.backend] : []),
    ...values.only!.flatMap((s) => ["--only", s]),
  ];
  if (!values["no-run"]) {
    const code = await runPipeline(pipeline, passThrough, root);
    if (code !== 0) {
      console.error(`Regression check of '${pipeline}' failed: the pipeline run exited with code ${code}`);
      return 1;
    }
  }
  const lockPath = `${root}/outputs/${pipeline}/pipeline.lock.json`;
  if (!(await exists(lockPath))) {
    console.error(`Cannot check '${pipeline}': no lock file at ${lockPath} (did the pipeline run?)`);
    return 1;
  }
  const lock = await readJson<LockFile>(lockPath);
  // Steps outside an --only selection keep their previous lock entry (maybe another profile's run): leave them out.
  const only = values.only!;
  const selected = (id: string) => only.length === 0 || only.some((o) => id === o || id.startsWith(`${o}__`));
  const metrics: RunMetrics = Object.fromEntries(Object.entries(lock.steps).filter(([id]) => selected(id)).map(([id, s]) => [id, s.metrics ?? null]));
  const file = `${root}/${baselinePath(pipeline, profile)}`;
  const previous: Baseline | null = (await exists(file)) ? parseBaseline(await readJson(file), file) : null;
  if (values.update) {
    const next = updatedBaseline(metrics, previous, { pipeline, profile });
    await writeJsonAtomic(file, next);
    console.log(`Baseline ${previous ? "updated" : "created"}: ${file} (${Object.keys(next.metrics).length} metrics, ${next.relations.length} relations)`);
    return 0;
  }
  if (!previous) {
    console.error(`Cannot check '${pipeline}': no baseline at ${file}; create one with --update after a run you trust`);
    return 1;
  }
  const rows = compareMetrics(metrics, previous);
  console.log(formatTable(rows));
  const failed = rows.filter((r) => r.status === "regressed" || r.status === "missing").length;
  console.log(`\nregression check of ${pipeline}: ${rows.length - failed} within baseline, ${failed} regressed or missing`);
  return hasRegression(rows) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
