/**
 * After a run's lock file is written, rebuilds `outputs/<pipeline>/report.html` from it, so the
 * page shows this run's exact statuses and times (the `report` step itself runs before the lock
 * exists). Only pipelines with a `report` step get one; the plotting code is imported lazily so
 * other pipelines never load it.
 *
 * @example
 * ```ts
 * import { finalizeReport } from "./final_report.ts";
 * const path = await finalizeReport(root, plan, outcomes); // null when the pipeline has no report step
 * ```
 * @module
 */
import type { Plan } from "./plan.ts";

/** Rewrites the report from the lock when a `report` step ran or was cached; returns its path or null. */
export async function finalizeReport(root: string, plan: Plan, statuses: Record<string, { status: string }>): Promise<string | null> {
  const reportSteps = plan.order.filter((id) => plan.steps[id].task.name === "report" && ["ran", "cached"].includes(statuses[id]?.status));
  if (reportSteps.length === 0) return null;
  const { writeReportFromLock } = await import("../plot/report.ts");
  return await writeReportFromLock(root, plan.pipeline.name);
}
