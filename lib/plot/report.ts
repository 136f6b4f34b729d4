/**
 * Writes the run report page(s). {@link writeReportFromInputs} is what the `report` task does
 * (current run from its upstream outputs + the previous lock); {@link writeReportFromLock}
 * rebuilds `outputs/<pipeline>/report.html` from the final lock (exact statuses and configs),
 * e.g. after the runner has written it (`lib/plot/report_cli.ts`).
 *
 * @example
 * ```ts
 * import { writeReportFromLock } from "./report.ts";
 * const path = await writeReportFromLock(Deno.cwd(), "demo"); // outputs/demo/report.html
 * ```
 * @module
 */
import { join } from "node:path";
import type { StepInput } from "../task.ts";
import { exists, readJson, writeFileAtomic } from "../util/fs.ts";
import { type ReportModel, renderReportHtml } from "./report_html.ts";
import { type ReportLock, type StepReport, stepsFromInputs, stepsFromLock } from "./report_model.ts";
import { baselinePath, parseBaseline } from "../regress/baseline.ts";
import { compareMetrics, type RunMetrics } from "../regress/compare.ts";

/**
 * The steps' metrics against `configs/baselines/<pipeline>.<profile>.json` under `root`, leaving
 * out baselined metrics of steps the report does not show (e.g. the report step itself).
 */
export async function compareWithBaseline(root: string, pipeline: string | null, profile: string | null, steps: StepReport[]): Promise<Pick<ReportModel, "baseline" | "baselineNote">> {
  if (!pipeline) return { baseline: null, baselineNote: "No regression baseline: the pipeline is not known." };
  if (!profile) return { baseline: null, baselineNote: "No regression baseline shown: the profile is not known until the run's lock file exists." };
  const file = baselinePath(pipeline, profile);
  if (!(await exists(join(root, file)))) return { baseline: null, baselineNote: `No regression baseline for this pipeline and profile (${file}).` };
  const baseline = parseBaseline(await readJson(join(root, file)), file);
  const shown = new Set(steps.map((s) => s.id));
  const metrics: RunMetrics = Object.fromEntries(steps.map((s) => [s.id, s.metrics]));
  const stepOf = (name: string) => name.slice(0, name.indexOf("."));
  const kept = { ...baseline, metrics: Object.fromEntries(Object.entries(baseline.metrics).filter(([name]) => shown.has(stepOf(name)))) };
  kept.relations = baseline.relations.filter((r) => [r.left, r.right].every((x) => typeof x === "number" || shown.has(stepOf(x))));
  return { baseline: { file, rows: compareMetrics(metrics, kept) }, baselineNote: null };
}

/** `outputs/<pipeline>/pipeline.lock.json` under `root`, or null when absent or unreadable. */
export async function readPreviousLock(root: string, pipeline: string): Promise<ReportLock | null> {
  const path = join(root, "outputs", pipeline, "pipeline.lock.json");
  if (!(await exists(path))) return null;
  const lock = await readJson<ReportLock>(path);
  if ((lock?.version !== 1 && lock?.version !== 2) || typeof lock.steps !== "object") throw new Error(`Cannot read '${path}': expected a version 1 or 2 lock file`);
  return lock;
}

/** Options of {@link writeReportFromInputs}. */
export interface InputsReportOptions {
  root: string;
  /** Known pipeline name: the page is also written to `outputs/<pipeline>/report.html`. */
  pipeline: string | null;
  /** The report step's own output directory (gets `report.html` too). */
  outDir: string;
  title?: string;
}

/**
 * Report of the current run from the report step's inputs. Returns the paths written: the
 * copy in `outDir`, and `outputs/<pipeline>/report.html` when the pipeline is known.
 */
export async function writeReportFromInputs(inputs: StepInput[], options: InputsReportOptions): Promise<string[]> {
  const previous = options.pipeline ? await readPreviousLock(options.root, options.pipeline) : null;
  const notes = [
    "Statuses: 'cached' when the previous run's lock recorded this fingerprint and the output predates that run; otherwise 'ran' (in this run). Time of a step that ran = span of its step.log timestamps.",
  ];
  if (previous) notes.push(`Previous run: ${previous.started} → ${previous.finished}.`);
  const write = async (dir: string) => {
    const steps = await stepsFromInputs(inputs, previous, { root: options.root, reportDir: dir, pipeline: options.pipeline });
    const html = await renderReportHtml({
      ...(await compareWithBaseline(options.root, options.pipeline, previous?.profile ?? null, steps)),
      title: options.title ?? `Run report${options.pipeline ? `: ${options.pipeline}` : ""}`,
      generated: new Date().toISOString(),
      pipeline: options.pipeline,
      profile: previous?.profile ?? null,
      runtime: { deno: Deno.version.deno },
      steps,
      notes,
    });
    const path = join(dir, "report.html");
    await writeFileAtomic(path, html);
    return path;
  };
  const paths = [await write(options.outDir)];
  if (options.pipeline) paths.push(await write(join(options.root, "outputs", options.pipeline)));
  return paths;
}

/** Rebuilds `outputs/<pipeline>/report.html` from the pipeline's lock file; returns its path. */
export async function writeReportFromLock(root: string, pipeline: string, title?: string): Promise<string> {
  const lock = await readPreviousLock(root, pipeline);
  if (!lock) throw new Error(`Cannot write the report of '${pipeline}': ${join(root, "outputs", pipeline, "pipeline.lock.json")} not found (run the pipeline first)`);
  const dir = join(root, "outputs", pipeline);
  const steps = await stepsFromLock(lock, root, dir);
  const html = await renderReportHtml({
    ...(await compareWithBaseline(root, pipeline, lock.profile, steps)),
    title: title ?? `Run report: ${pipeline}`,
    generated: new Date().toISOString(),
    pipeline,
    profile: lock.profile,
    runtime: lock.runtime ?? null,
    steps,
    notes: [`Run ${lock.started} → ${lock.finished}; statuses, times and configs from pipeline.lock.json.`],
  });
  const path = join(dir, "report.html");
  await writeFileAtomic(path, html);
  return path;
}
