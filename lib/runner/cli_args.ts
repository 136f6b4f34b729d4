/**
 * Command-line parsing for `lib/runner/cli.ts`. Flags take `--flag value` or `--flag=value`;
 * `--set`, `--only`, `--until` and `--force=<step>` may repeat.
 *
 * @example
 * ```ts
 * import { parseCliArgs } from "./cli_args.ts";
 * const args = parseCliArgs(["pipeline", "demo", "--set", "points=500", "--jobs=2"]);
 * args.command; // "pipeline"
 * ```
 * @module
 */
import { UserError } from "./errors.ts";

/** Parsed arguments. */
export interface CliArgs {
  command: string;
  pipeline: string | null;
  root: string;
  profile: string | null;
  sets: string[];
  force: boolean | string[];
  /** `--restart` (every selected step) or `--restart=<step>`: drop saved state, then run as forced. */
  restart: boolean | string[];
  only?: string[];
  until?: string[];
  dryRun: boolean;
  jobs: number | null;
  keepGoing: boolean;
  json: boolean;
  seed?: number;
  backend?: string;
  format: "mermaid" | "dot";
  /** `--executor local|slurm` (default local). */
  executor: "local" | "slurm";
  /** `--executor-config FILE` (default configs/slurm.yaml when it exists). */
  executorConfig: string | null;
  help: boolean;
}

const valueFlags = new Set(["--root", "--profile", "--set", "--only", "--until", "--jobs", "--seed", "--backend", "--format", "--executor", "--executor-config"]);
const boolFlags = new Set(["--dry-run", "--keep-going", "--json", "--help", "-h", "--force", "--restart"]);

/** Parses `argv` (subcommand first). */
export function parseCliArgs(argv: string[]): CliArgs {
  const args: CliArgs = {
    command: argv[0] ?? "", pipeline: null, root: Deno.cwd(), profile: null, sets: [], force: false, restart: false,
    dryRun: false, jobs: null, keepGoing: false, json: false, format: "mermaid", executor: "local", executorConfig: null, help: false,
  };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-")) {
      if (args.pipeline !== null) throw new UserError(`Cannot read arguments: unexpected '${arg}' (pipeline '${args.pipeline}' already given)`);
      args.pipeline = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (flag === "--force" || flag === "--restart") {
      const key = flag === "--force" ? "force" : "restart";
      if (value === undefined) args[key] = true;
      else if (args[key] !== true) args[key] = [...(args[key] || []), value];
      continue;
    }
    if (boolFlags.has(flag)) {
      if (value !== undefined) throw new UserError(`Cannot read argument '${arg}': ${flag} takes no value`);
      if (flag === "--dry-run") args.dryRun = true;
      if (flag === "--keep-going") args.keepGoing = true;
      if (flag === "--json") args.json = true;
      if (flag === "--help" || flag === "-h") args.help = true;
      continue;
    }
    if (!valueFlags.has(flag)) throw new UserError(`Cannot read argument '${arg}': unknown option (see --help)`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UserError(`Cannot read argument '${flag}': expected a value after it`);
    }
    switch (flag) {
      case "--root": args.root = value; break;
      case "--profile": args.profile = value; break;
      case "--set": args.sets.push(value); break;
      case "--only": (args.only ??= []).push(value); break;
      case "--until": (args.until ??= []).push(value); break;
      case "--backend": args.backend = value; break;
      case "--executor":
        if (value !== "local" && value !== "slurm") throw new UserError(`Cannot read --executor: expected local or slurm, got '${value}'`);
        args.executor = value;
        break;
      case "--executor-config": args.executorConfig = value; break;
      case "--jobs": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new UserError(`Cannot read --jobs: expected a positive whole number, got '${value}'`);
        args.jobs = n;
        break;
      }
      case "--seed": {
        const n = Number(value);
        if (!Number.isInteger(n)) throw new UserError(`Cannot read --seed: expected a whole number, got '${value}'`);
        args.seed = n;
        break;
      }
      case "--format":
        if (value !== "mermaid" && value !== "dot") throw new UserError(`Cannot read --format: expected mermaid or dot, got '${value}'`);
        args.format = value;
        break;
    }
  }
  return args;
}

/** Usage text. */
export const usage = `Usage:
  deno task pipeline <name> [--profile P] [--set k=v]… [--set step.k=v]… [--force[=step]] [--restart[=step]] [--only step]
                            [--until step] [--dry-run] [--jobs N] [--keep-going] [--json] [--seed N]
                            [--backend auto|tensorflow|native|wasm|cpu] [--executor local|slurm]
                            [--executor-config FILE] [--root DIR]
  deno task status <name> [--profile P] [--set k=v]… [--json] [--root DIR]   exit 1 when anything is stale
  deno task dag <name> [--format mermaid|dot] [--root DIR]
  deno task clean [--dry-run] [--json] [--root DIR]   drop what no run needs; --dry-run lists what and why
  deno task verify [<name>] [--json] [--root DIR]     re-hash store entries (all, or those <name> uses);
                                                      set damaged ones aside; exit 1 if any was damaged

  --force re-runs every selected step; --force=<step> re-runs that step only (its downstream keeps its
  cached output: fingerprints describe inputs, and a forced step's inputs did not change).
  --restart[=<step>] is --force that first drops the step's saved state (outputs/.cache/resume-…), so a
  long step starts over instead of resuming (e.g. after it diverged).
  --only <step> runs just that step (its upstream must have cached outputs); --until <step> runs it and
  everything it needs. --set key=value applies to every step whose task has 'key'; --set step.key=value
  to one step. A matrix step's name addresses all its variants (<step>__<field>-<value>…), a variant id one.
  --executor slurm runs each ready step as a Slurm batch job (settings: configs/slurm.yaml or
  --executor-config FILE; see lib/runner/slurm_executor.ts); --jobs then bounds jobs in flight.
  Exit codes: 0 ok, 1 a step failed / something is stale (status), 2 invalid input, 130 interrupted.
`;
