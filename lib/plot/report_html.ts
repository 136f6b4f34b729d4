/**
 * The run report as one self-contained HTML page: first a summary (each run's verdicts with
 * their evidence, the headline metrics next to the regression baseline, the key figures; see
 * `report_summary.ts`), then a table of every step (status, time, fingerprint) and a section per
 * step with its config, metrics, figures (progress series behind one slider each) and files. Every PNG a
 * step wrote is inlined as a `data:` URI, so the page shows all figures wherever it is opened
 * from; file names also link to the files next to it (through `StepReport.linkBase`).
 *
 * @example
 * ```ts
 * import { renderReportHtml } from "./report_html.ts";
 * const html = await renderReportHtml({ title: "demo", generated: new Date().toISOString(), steps: [], notes: [] });
 * ```
 * @module
 */
import { join } from "node:path";
import { pngDataUri } from "./colormap.ts";
import { escapeXml as escape } from "./compose.ts";
import type { StepReport } from "./report_model.ts";
import { baselineHtml, keyFigures, progressGroups, recipeChangesHtml, sliderFigure, verdictsHtml } from "./report_summary.ts";
import type { ComparisonRow } from "../regress/compare.ts";

/** Everything the page shows. */
export interface ReportModel {
  title: string;
  /** ISO time the report was written. */
  generated: string;
  pipeline?: string | null;
  profile?: string | null;
  runtime?: { deno?: string; backend?: string | null; backendNote?: string | null } | null;
  steps: StepReport[];
  /** Lines shown under the title (e.g. how statuses were decided). */
  notes: string[];
  /** The run's metrics against its regression baseline (null: no baseline; `baselineNote` says why). */
  baseline?: { file: string; rows: ComparisonRow[] } | null;
  baselineNote?: string | null;
}

/** Options of {@link renderReportHtml}. */
export interface RenderReportOptions {
  /** PNGs larger than this are linked, not inlined (default 16 MiB). */
  maxInlineBytes?: number;
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 24px; color: #111; max-width: 1400px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
pre { background: #f7f7f7; padding: 8px; overflow-x: auto; max-height: 320px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: bold; font-size: 12px; }
.ran { background: #d4edda; } .cached { background: #d6e4f5; } .failed { background: #f8d7da; } .skipped, .unknown { background: #eee; }
figure { display: inline-block; margin: 8px 16px 16px 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; image-rendering: auto; }
figure img.grid { image-rendering: pixelated; min-width: 256px; }
figcaption { font-size: 12px; color: #444; }
.notes { color: #555; font-size: 13px; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: bold; font-size: 12px; }
.recipe { background: #fff4d6; border-left: 4px solid #e0a800; padding: 4px 8px; margin: 6px 0; font-size: 13px; }
.verdict.good { background: #d4edda; } .verdict.bad { background: #f8d7da; } .verdict.none { background: #eee; }
tr.fail td { background: #fdecea; }
figure.series input[type=range] { width: min(100%, 480px); }
`;

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "—";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function formatValue(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, "").replace(/\.?0+e/, "e");
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function keyValueTable(record: Record<string, unknown>): string {
  const rows = Object.entries(record).map(([k, v]) => `<tr><th>${escape(k)}</th><td><code>${escape(formatValue(v))}</code></td></tr>`);
  return `<table>${rows.join("")}</table>`;
}

function link(step: StepReport, file: string): string {
  if (step.linkBase === null) return escape(file);
  const href = step.linkBase + file.split("/").map(encodeURIComponent).join("/");
  return `<a href="${escape(href)}">${escape(file)}</a>`;
}

/** Image grids (sample PNGs, not plots) are drawn with crisp pixels. */
function isFigurePlot(step: StepReport, file: string): boolean {
  return step.files.includes(file.replace(/\.png$/, ".svg"));
}

/** The inlined `<img>` of one PNG, or a note when it is too large to inline. */
async function imgTag(step: StepReport, file: string, maxInlineBytes: number): Promise<string> {
  const path = join(step.dir!, file);
  const size = (await Deno.stat(path)).size;
  if (size > maxInlineBytes) return `<p>${escape(file)} is ${(size / 2 ** 20).toFixed(1)} MiB: not inlined.</p>`;
  const uri = pngDataUri(await Deno.readFile(path));
  const cls = isFigurePlot(step, file) ? "plot" : "grid";
  const width = cls === "plot" ? ` style="max-width: min(100%, 1100px)"` : "";
  return `<img class="${cls}" alt="${escape(step.id + "/" + file)}" src="${uri}"${width}>`;
}

function captionOf(step: StepReport, file: string): string {
  return `${link(step, file)}${step.files.includes(file.replace(/\.png$/, ".svg")) ? ` · ${link(step, file.replace(/\.png$/, ".svg"))}` : ""}`;
}

/** A step's figures: progress series of one kind as one image with a slider, the rest one by one. */
async function figures(step: StepReport, maxInlineBytes: number): Promise<string> {
  if (!step.dir) return "";
  const pngs = step.files.filter((f) => f.toLowerCase().endsWith(".png"));
  const groups = progressGroups(pngs);
  const grouped = new Set(groups.flatMap((g) => g.files));
  const parts: string[] = [];
  for (const g of groups) {
    const frames = await Promise.all(g.files.map((f) => imgTag(step, f, maxInlineBytes)));
    parts.push(sliderFigure(frames, g.labels, `${link(step, g.files[0])} … ${link(step, g.files[g.files.length - 1])}`));
  }
  for (const file of pngs) {
    if (grouped.has(file)) continue;
    parts.push(`<figure>${await imgTag(step, file, maxInlineBytes)}<figcaption>${captionOf(step, file)}</figcaption></figure>`);
  }
  return parts.length ? `<h3>Figures</h3>${parts.join("\n")}` : "";
}

/** The summary a reader came for: verdicts, headline metrics against the baseline, key figures. */
async function summarySection(model: ReportModel, maxInlineBytes: number): Promise<string> {
  const parts = [await verdictsHtml(model.steps, model.profile ?? null), baselineHtml(model.baseline ?? null, model.baselineNote ?? null)];
  const figs: string[] = [];
  for (const k of keyFigures(model.steps)) {
    const step = model.steps.find((s) => s.id === k.step)!;
    if (!step.dir) continue;
    figs.push(`<figure>${await imgTag(step, k.file, maxInlineBytes)}<figcaption>${escape(k.what)}: <a href="#step-${escape(step.id)}">${escape(step.id)}</a> · ${captionOf(step, k.file)}</figcaption></figure>`);
  }
  if (figs.length) parts.push(`<h3>Key figures</h3>${figs.join("\n")}`);
  const body = parts.filter((p) => p !== "").join("\n");
  return body ? `<h2 id="summary">Summary</h2>\n${body}` : "";
}

async function stepSection(step: StepReport, model: ReportModel, maxInlineBytes: number): Promise<string> {
  const parts = [
    `<h2 id="step-${escape(step.id)}">${escape(step.id)} <small>(${escape(step.task)})</small> <span class="status ${step.status}">${step.status}</span></h2>`,
    `<p>time ${escape(formatSeconds(step.seconds))}${step.statusNote ? ` · ${escape(step.statusNote)}` : ""} · fingerprint <code>${escape(step.fingerprint ?? "—")}</code></p>`,
  ];
  if (step.recipeChanges) parts.push(recipeChangesHtml(step.recipeChanges, model.profile ?? null, step.config));
  if (step.error) parts.push(`<p><b>Error:</b> <code>${escape(step.error)}</code></p>`);
  if (step.metrics && Object.keys(step.metrics).length) parts.push(`<h3>Metrics</h3>${keyValueTable(step.metrics)}`);
  parts.push(await figures(step, maxInlineBytes));
  if (step.config !== null && step.config !== undefined) {
    parts.push(`<details><summary>Config${step.seed !== null && step.seed !== undefined ? ` (seed ${escape(String(step.seed))})` : ""}</summary><pre>${escape(JSON.stringify(step.config, null, 2))}</pre></details>`);
  } else parts.push(`<p class="notes">Config: not recorded yet (it enters the lock when this run finishes).</p>`);
  if (step.files.length) parts.push(`<details><summary>Files (${step.files.length})</summary><ul>${step.files.map((f) => `<li>${link(step, f)}</li>`).join("")}</ul></details>`);
  if (step.logTail.length) parts.push(`<details><summary>step.log (last ${step.logTail.length} lines)</summary><pre>${escape(step.logTail.join("\n"))}</pre></details>`);
  return `<section>${parts.join("\n")}</section>`;
}

/** Renders the whole page. */
export async function renderReportHtml(model: ReportModel, options: RenderReportOptions = {}): Promise<string> {
  const maxInlineBytes = options.maxInlineBytes ?? 16 * 2 ** 20;
  const summary = model.steps.map((s) =>
    `<tr><td><a href="#step-${escape(s.id)}">${escape(s.id)}</a></td><td>${escape(s.task)}</td><td><span class="status ${s.status}">${s.status}</span></td>` +
    `<td>${escape(formatSeconds(s.seconds))}</td><td><code title="${escape(s.fingerprint ?? "")}">${escape((s.fingerprint ?? "—").slice(0, 12))}</code></td></tr>`
  ).join("");
  const meta = [
    model.pipeline ? `pipeline <b>${escape(model.pipeline)}</b>` : null,
    model.profile ? `profile <b>${escape(model.profile)}</b>` : null,
    model.runtime?.deno ? `Deno ${escape(model.runtime.deno)}` : null,
    model.runtime?.backend ? `backend ${escape(model.runtime.backend)}${model.runtime.backendNote ? ` (${escape(model.runtime.backendNote)})` : ""}` : null,
    `generated ${escape(model.generated)}`,
  ].filter(Boolean).join(" · ");
  const sections: string[] = [];
  for (const step of model.steps) sections.push(await stepSection(step, model, maxInlineBytes));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(model.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escape(model.title)}</h1>
<p>${meta}</p>
${model.notes.map((n) => `<p class="notes">${escape(n)}</p>`).join("\n")}
${await summarySection(model, maxInlineBytes)}
<h2 id="steps">Steps</h2>
<table><tr><th>step</th><th>task</th><th>status</th><th>time</th><th>fingerprint</th></tr>${summary}</table>
${sections.join("\n")}
</body></html>
`;
}
