/**
 * After a run's lock file is written: calls `afterRun` of every step whose task declares one
 * (see `lib/task.ts`) and that ran or was cached — e.g. the `report` task rebuilds
 * `outputs/<pipeline>/report.html` from the final lock with its configured title. Each call runs
 * in a step process (`step_child.ts`, phase `afterRun`), so the runner imports no task code; a
 * failure becomes a warning line, never a failed run.
 *
 * @example
 * ```ts ignore
 * import { runAfterRunHooks } from "./after_run.ts";
 * import type { StepOutcome } from "./executor.ts";
 * import type { Plan } from "./plan.ts";
 * import type { Reporter } from "./reporter.ts";
 * async function example(plan: Plan, outcomes: Record<string, StepOutcome>, reporter: Reporter, signal: AbortSignal) {
 *   const warnings = await runAfterRunHooks(plan, outcomes, { reporter, signal });
 * }
 * ```
 * @module
 */
import type { StepOutcome } from "./executor.ts";
import { toFileUrl } from "./paths.ts";
import type { Plan } from "./plan.ts";
import type { Reporter } from "./reporter.ts";
import { runStepProcess } from "./step_process.ts";
import { entryDir } from "./store.ts";
import { taskFile } from "./task_loader.ts";

/** Runs the `afterRun` hooks (one process each, in step order); returns one warning per failed hook. */
export async function runAfterRunHooks(plan: Plan, outcomes: Record<string, StepOutcome>, options: { reporter: Reporter; signal?: AbortSignal }): Promise<string[]> {
  const warnings: string[] = [];
  for (const id of plan.order) {
    const step = plan.steps[id];
    const status = outcomes[id]?.status;
    if (!step.task.afterRun || (status !== "ran" && status !== "cached")) continue;
    const result = await runStepProcess({
      phase: "afterRun",
      root: plan.root,
      pipeline: plan.pipeline.name,
      stepId: id,
      taskName: step.task.name,
      taskUrl: toFileUrl(taskFile(plan.root, step.spec.task)).href,
      config: step.config,
      inputs: [],
      outDir: entryDir(plan.root, step.fingerprint),
      resumeDir: "",
      seed: null,
      backend: null,
      backendError: null,
      poolThreads: 1,
    }, {
      signal: options.signal,
      onMessage(m) {
        if (m.type === "log") options.reporter.stepLog(id, m.level, m.message);
      },
      onStderr(line) {
        if (line.trim()) options.reporter.stepLog(id, "warn", line);
      },
    });
    if (!result.ok) warnings.push(`${id}: after the run (${result.failure.kind}): ${result.failure.message}`);
  }
  return warnings;
}
