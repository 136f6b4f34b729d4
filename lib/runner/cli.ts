/**
 * The runner's command line: `pipeline`, `status`, `dag`, `clean` and `verify` (see {@link usage}).
 * Exit codes: 0 success / all fresh; 1 a step failed or (status) something is stale; 2 a problem
 * in the inputs (pipeline file, config, arguments, held lock); 130 interrupted.
 *
 * @example
 * ```sh
 * deno task pipeline demo --jobs 2
 * deno task status demo --json
 * deno task dag demo --format dot
 * deno task clean --dry-run
 * deno task verify demo
 * ```
 * @module
 */
import { relative, resolve } from "node:path";
import { availableParallelism } from "node:os";
import { parseCliArgs, usage, type CliArgs } from "./cli_args.ts";
import { cleanStore } from "./clean.ts";
import { verifyStore } from "./verify.ts";
import { renderDot, renderMermaid, topologicalOrder } from "./dag.ts";
import { UserError } from "./errors.ts";
import { executePlan, type StepOutcome } from "./executor.ts";
import { loadPipelineFile } from "./pipeline_file.ts";
import { runAfterRunHooks } from "./after_run.ts";
import { makePlan, type Plan } from "./plan.ts";
import { buildLockFile, writeLockFile } from "./provenance.ts";
import { createReporter } from "./reporter.ts";
import { acquireRunLock } from "./run_lock.ts";
import { loadSlurmSettings, slurmStepRunner } from "./slurm_executor.ts";
import { loadTask } from "./task_loader.ts";
import { locate } from "./yaml_source.ts";

/** One step in `--json` output. */
interface JsonStep {
  id: string;
  task: string;
  /** `damaged`: stale because its cached output no longer matches its manifest (status, dry run). */
  status: "fresh" | "stale" | "damaged" | "ran" | "cached" | "failed" | "skipped";
  fingerprint: string;
  reasons: string[];
  seconds: number | null;
  error?: string;
  /** The kind of `error` (see `provenance.ts`). */
  failureKind?: string;
}

const encoder = new TextEncoder();
const out = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
const err = (text: string) => Deno.stderr.writeSync(encoder.encode(text));

function requirePipeline(args: CliArgs): string {
  if (!args.pipeline) throw new UserError(`Cannot run '${args.command}': expected a pipeline name\n${usage}`);
  return args.pipeline;
}

function planOptions(args: CliArgs, root: string, withSelection: boolean) {
  return {
    root, pipeline: requirePipeline(args), profile: args.profile, sets: args.sets, seed: args.seed, backend: args.backend,
    force: withSelection ? args.force : false, restart: withSelection ? args.restart : false, only: withSelection ? args.only : undefined, until: withSelection ? args.until : undefined,
  };
}

function freshnessLines(plan: Plan): string {
  const width = Math.max(...plan.order.map((id) => id.length));
  return plan.order.filter((id) => plan.steps[id].selected).map((id) => {
    const s = plan.steps[id];
    const label = s.stale && s.damaged && !s.forced ? "damaged" : s.stale ? "stale" : "fresh";
    return `${label.padEnd(7)}  ${id.padEnd(width)}  ${s.stale ? s.reasons.join("; ") : s.fingerprint.slice(0, 12)}\n`;
  }).join("");
}

function freshnessJson(plan: Plan): JsonStep[] {
  return plan.order.filter((id) => plan.steps[id].selected).map((id) => {
    const s = plan.steps[id];
    const status = s.stale && s.damaged && !s.forced ? "damaged" : s.stale ? "stale" : "fresh";
    return { id, task: s.task.name, status, fingerprint: s.fingerprint, reasons: s.reasons, seconds: null };
  });
}

async function commandStatus(args: CliArgs, root: string): Promise<number> {
  const plan = await makePlan(planOptions(args, root, false));
  const stale = plan.order.filter((id) => plan.steps[id].stale);
  if (plan.profileNote && !args.json) err(`note: ${plan.profileNote}\n`);
  if (!args.json) for (const note of plan.seedNotes) err(`note: ${note}\n`);
  if (args.json) out(JSON.stringify({ pipeline: plan.pipeline.name, profile: plan.profile, steps: freshnessJson(plan) }) + "\n");
  else {
    out(freshnessLines(plan));
    out(stale.length ? `${stale.length} of ${plan.order.length} steps stale\n` : `all ${plan.order.length} steps fresh\n`);
  }
  return stale.length ? 1 : 0;
}

async function commandDag(args: CliArgs, root: string): Promise<number> {
  const pipeline = await loadPipelineFile(root, requirePipeline(args));
  topologicalOrder(pipeline.steps, pipeline.source.file);
  const tasks: Record<string, string> = {};
  for (const [id, step] of Object.entries(pipeline.steps)) {
    await loadTask(root, step.task, `${locate(pipeline.source, ["steps", step.group, "task"])}: steps.${step.group}.task`);
    tasks[id] = step.task;
  }
  out(args.format === "dot" ? renderDot(pipeline.steps, tasks, pipeline.name) : renderMermaid(pipeline.steps, tasks));
  return 0;
}

async function commandClean(args: CliArgs, root: string): Promise<number> {
  const { removed, kept, bytes, items } = await cleanStore(root, { dryRun: args.dryRun });
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  if (args.json) out(JSON.stringify({ removed, kept, bytes, dryRun: args.dryRun, items }) + "\n");
  else {
    for (const item of items) {
      const verb = item.action === "keep" ? "keep" : args.dryRun ? "would remove" : "removed";
      out(`${verb.padEnd(12)} ${item.name}${item.action === "remove" ? ` (${mb(item.bytes)})` : ""}: ${item.reason}\n`);
    }
    out(`${args.dryRun ? "would remove" : "removed"} ${removed.length} store entr${removed.length === 1 ? "y" : "ies"} (${mb(bytes)}), kept ${kept}\n`);
  }
  return 0;
}

async function commandVerify(args: CliArgs, root: string): Promise<number> {
  const { checked, missing, damaged } = await verifyStore(root, args.pipeline);
  if (args.json) {
    out(JSON.stringify({ pipeline: args.pipeline, checked, missing, damaged }) + "\n");
    return damaged.length > 0 ? 1 : 0;
  }
  for (const d of damaged) {
    out(`damaged  ${d.fingerprint.slice(0, 12)}${d.usedBy.length ? ` (${d.usedBy.join(", ")})` : ""}\n`);
    for (const p of d.problems) out(`           ${p}\n`);
    out(d.setAside ? `           set aside as outputs/.cache/${d.setAside}; the next run rebuilds it\n` : `           already replaced or removed by another process\n`);
  }
  if (missing.length) out(`${missing.length} referenced entr${missing.length === 1 ? "y is" : "ies are"} not in the store (the next run rebuilds ${missing.length === 1 ? "it" : "them"})\n`);
  out(`verified ${checked} store entr${checked === 1 ? "y" : "ies"}${args.pipeline ? ` of pipeline ${args.pipeline}` : ""}: ${damaged.length ? `${damaged.length} damaged` : "all intact"}\n`);
  return damaged.length > 0 ? 1 : 0;
}

async function commandPipeline(args: CliArgs, root: string): Promise<number> {
  const log = args.json ? err : out;
  if (args.dryRun) {
    const plan = await makePlan(planOptions(args, root, true));
    if (args.json) out(JSON.stringify({ pipeline: plan.pipeline.name, profile: plan.profile, steps: freshnessJson(plan) }) + "\n");
    else out(freshnessLines(plan));
    return 0;
  }
  const name = requirePipeline(args);
  const runLock = await acquireRunLock(root, name, (note) => log(`note: ${note}\n`));
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort(new Error("interrupted"));
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  signals.forEach((s) => Deno.addSignalListener(s, onSignal));
  try {
    const started = new Date();
    const plan = await makePlan(planOptions(args, root, true));
    const selected = plan.order.filter((id) => plan.steps[id].selected);
    const slurm = args.executor === "slurm" ? await loadSlurmSettings(root, args.executorConfig) : null;
    // On Slurm the cluster's scheduler shares out the machines: by default every ready step is submitted.
    const jobs = args.jobs ?? Math.max(1, slurm ? selected.length : Math.min(availableParallelism(), selected.length));
    const stream = args.json ? Deno.stderr : Deno.stdout;
    const reporter = createReporter(stream, selected.length);
    const staleCount = selected.filter((id) => plan.steps[id].stale).length;
    reporter.note(`pipeline ${name}${plan.profile ? ` (profile ${plan.profile})` : ""}: ${selected.length} steps, ${staleCount} to run, jobs ${jobs}` +
      (slurm ? `, executor slurm${slurm.partition ? ` (partition ${slurm.partition})` : ""}` : "") +
      (plan.backend ? `, backend ${plan.backend.name} (${plan.backend.note})` : ""));
    if (plan.profileNote) reporter.note(`  ${plan.profileNote}`);
    for (const note of plan.seedNotes) reporter.note(`  ${note}`);
    for (const id of selected) if (plan.steps[id].stale) reporter.note(`  ${id}: ${plan.steps[id].reasons.join("; ")}`);
    const outcomes = await executePlan(plan, {
      jobs, poolThreads: args.jobs ?? availableParallelism(), keepGoing: args.keepGoing, reporter, signal: interrupt.signal,
      runStep: slurm ? slurmStepRunner(slurm) : undefined,
    });
    try {
      await writeLockFile(root, buildLockFile(plan, outcomes, started));
    } catch (e) {
      reporter.close();
      err(`error: Cannot write outputs/${name}/pipeline.lock.json: ${(e as Error).message}; the steps' outputs are stored, but this run is not recorded (status and the report still show the previous run)\n`);
      return 1;
    }
    for (const warning of await runAfterRunHooks(plan, outcomes, { reporter, signal: interrupt.signal })) reporter.note(`warning: ${warning}`);
    const counts = { ran: 0, cached: 0, failed: 0, skipped: 0 };
    for (const o of Object.values(outcomes)) counts[o.status]++;
    const seconds = (Date.now() - started.getTime()) / 1000;
    reporter.note(`done in ${seconds.toFixed(1)}s: ${counts.ran} ran, ${counts.cached} cached, ${counts.failed} failed, ${counts.skipped} skipped; outputs/${name}/pipeline.lock.json`);
    reporter.close();
    if (args.json) {
      const steps: JsonStep[] = selected.map((id) => {
        const s = plan.steps[id], o = outcomes[id];
        const entry: JsonStep = { id, task: s.task.name, status: o.status, fingerprint: s.fingerprint, reasons: s.stale ? s.reasons : [], seconds: o.seconds };
        if (o.failure) {
          entry.error = o.failure.message;
          entry.failureKind = o.failure.kind;
        }
        return entry;
      });
      out(JSON.stringify({ pipeline: name, profile: plan.profile, steps }) + "\n");
    }
    if (interrupt.signal.aborted) return 130;
    return counts.failed > 0 || counts.skipped > 0 ? 1 : 0;
  } finally {
    signals.forEach((s) => Deno.removeSignalListener(s, onSignal));
    await runLock.release();
  }
}

/** Runs the CLI with `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
    if (args.help || !args.command) {
      out(usage);
      return args.help ? 0 : 2;
    }
    const root = resolve(args.root);
    switch (args.command) {
      case "pipeline": return await commandPipeline(args, root);
      case "status": return await commandStatus(args, root);
      case "dag": return await commandDag(args, root);
      case "clean": return await commandClean(args, root);
      case "verify": return await commandVerify(args, root);
      default: throw new UserError(`Cannot run '${args.command}': unknown command (expected pipeline, status, dag, clean or verify)\n${usage}`);
    }
  } catch (e) {
    if (e instanceof UserError) {
      err(`error: ${e.message}\n`);
      return 2;
    }
    err(`error: ${(e as Error)?.stack ?? e}\n`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
