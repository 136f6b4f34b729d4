/**
 * The top of the run report — what a reader came for — and the grouping of progress images:
 * - verdicts: each training run's learning/sampling labels from `diagnosis.json` (the `diagnose`
 *   step), with every test's value, threshold and why;
 * - headline metrics next to the regression baseline (`configs/baselines/<pipeline>.<profile>.json`):
 *   the labels, the metrics the baseline's relations (the paper's findings) name, and the
 *   relations themselves; every other baselined metric in a collapsed table;
 * - key figures: learning diagnostics, long-run grids, sampling paths, landscapes, the
 *   disconnectivity graph;
 * - progress grids of one kind (file names that differ only in their zero-padded numbers, e.g.
 *   `samples/samples_0000500.png`, `samples/samples_0001000.png`) become one image with an
 *   iteration slider (a plain `<input type="range">` with an inline handler; no external script).
 *
 * @example
 * ```ts ignore
 * const groups = progressGroups(["basin-1.png", "basin-2.png", "s/s_0010.png", "s/s_0020.png"]);
 * // [{ key: "s/s_#.png", files: ["s/s_0010.png", "s/s_0020.png"], labels: ["10", "20"] }]
 * ```
 * @module
 */
import { join } from "node:path";
import { escapeXml as escape } from "./compose.ts";
import type { StepReport } from "./report_model.ts";
import { DIAGNOSIS_FILE, evidenceFailed, readDiagnosis } from "../diagnosis/file.ts";
import type { ComparisonRow } from "../regress/compare.ts";

/** PNG files of a step that differ only in their zero-padded (≥ 4 digit) numbers, in numeric order (2 or more). */
export interface ProgressGroup {
  key: string;
  files: string[];
  /** The numbers that tell the frames apart ("500", "1000", …). */
  labels: string[];
}

/** Groups a step's PNGs into progress series; files in no series are left out. */
export function progressGroups(files: string[]): ProgressGroup[] {
  const byKey = new Map<string, string[]>();
  for (const f of files) {
    // Progress images carry a zero-padded iteration (`shortrun_000100.png`, `samples_0000500.png`);
    // short numbers (`basin-3.png`) name different things, not frames of one series.
    if (!f.toLowerCase().endsWith(".png") || !/\d{4,}/.test(f)) continue;
    const key = f.replace(/\d{4,}/g, "#");
    byKey.set(key, [...(byKey.get(key) ?? []), f]);
  }
  const numbers = (f: string) => (f.match(/\d{4,}/g) ?? []).map(Number);
  const groups: ProgressGroup[] = [];
  for (const [key, group] of byKey) {
    if (group.length < 2) continue;
    group.sort((a, b) => {
      const x = numbers(a), y = numbers(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return a.localeCompare(b);
    });
    // The label is the number that changes across the series (the last differing position).
    const nums = group.map(numbers);
    let pos = nums[0].length - 1;
    for (let i = 0; i < nums[0].length; i++) if (nums.some((n) => n[i] !== nums[0][i])) pos = i;
    groups.push({ key, files: group, labels: nums.map((n) => String(n[pos] ?? "")) });
  }
  return groups;
}

/** Inline handler of a slider: show the chosen frame, hide the others, update the label. */
export const SLIDER_HANDLER = "var f=this.parentNode,i=+this.value,m=f.querySelectorAll('img');" +
  "for(var k=0;k<m.length;k++)m[k].hidden=k!==i;f.querySelector('output').textContent=this.dataset.prefix+this.dataset.labels.split(',')[i]";

/** A slider figure over `frames` (already rendered `<img>` tags, in order); the last is shown first. */
export function sliderFigure(frames: string[], labels: string[], caption: string, prefix = "iteration "): string {
  const imgs = frames.map((tag, i) => (i === frames.length - 1 ? tag : tag.replace("<img ", "<img hidden ")));
  const last = frames.length - 1;
  return `<figure class="series">${imgs.join("")}<br><input type="range" min="0" max="${last}" step="1" value="${last}" ` +
    `data-labels="${escape(labels.join(","))}" data-prefix="${escape(prefix)}" oninput="${escape(SLIDER_HANDLER)}" aria-label="frame"> ` +
    `<output>${escape(prefix + labels[last])}</output><figcaption>${caption} · ${frames.length} frames</figcaption></figure>`;
}

/** A key figure of the run, for the summary. */
export interface KeyFigure {
  step: string;
  file: string;
  what: string;
}

const KEY_PATTERNS: [RegExp, string][] = [
  [/^diagnostics[^/]*\.png$/, "learning diagnostics (d_t, r_t)"],
  [/^landscape[^/]*\.png$/, "toy landscape"],
  [/longrun[^/]*final_states[^/]*\.png$/, "long-run samples"],
  [/^sampling[^/]*\.png$/, "sampling paths"],
  [/^disconnectivity\.png$/, "disconnectivity graph"],
];

/** The key figures among the steps' files, in the order above. */
export function keyFigures(steps: StepReport[]): KeyFigure[] {
  const out: KeyFigure[] = [];
  for (const [pattern, what] of KEY_PATTERNS) {
    for (const s of steps) for (const f of s.files) if (pattern.test(f)) out.push({ step: s.id, file: f, what });
  }
  // A long-run step without a grid step: its own final grid.
  if (!out.some((k) => k.what === "long-run samples")) {
    for (const s of steps) if (s.task === "longrun-sample" && s.files.includes("final.png")) out.push({ step: s.id, file: "final.png", what: "long-run samples" });
  }
  return out;
}

function fmt(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
  return v === null || v === undefined ? "—" : String(v);
}

/** The recipe fields a profile changes for a step, with the value used and why (a highlighted note). */
export function recipeChangesHtml(changes: Record<string, string>, profile: string | null, config: unknown): string {
  const cfg = (config && typeof config === "object" ? config : {}) as Record<string, unknown>;
  const items = Object.entries(changes).map(([field, why]) =>
    `<li><code>${escape(field)}</code>${field in cfg ? ` = <code>${escape(fmt(cfg[field]))}</code>` : ""}: ${escape(why)}</li>`
  );
  return `<div class="recipe"><b>Recipe changed by the ${escape(profile ?? "")} profile</b> (not only the budget):<ul>${items.join("")}</ul></div>`;
}

/** The verdicts table of every `diagnose` step (empty string when there is none). */
export async function verdictsHtml(steps: StepReport[], profile: string | null = null): Promise<string> {
  const parts: string[] = [];
  for (const s of steps) {
    if (!s.dir || !s.files.includes(DIAGNOSIS_FILE)) continue;
    const diagnosis = await readDiagnosis(join(s.dir, DIAGNOSIS_FILE));
    const rows = Object.entries(diagnosis).map(([run, d]) => {
      const tests = d.evidence.map((e) =>
        `<tr class="${evidenceFailed(e) ? "fail" : "pass"}"><td>${escape(e.test)}</td><td><code>${escape(fmt(e.value))}</code></td><td><code>${escape(fmt(e.threshold))}</code></td><td>${escape(e.why)}</td></tr>`
      ).join("");
      const failed = d.evidence.filter(evidenceFailed).length;
      const trained = steps.find((x) => x.id === run);
      return `<tr><td><a href="#step-${escape(run)}">${escape(run)}</a></td><td><span class="verdict ${d.learning === "stable" ? "good" : "bad"}">${escape(d.learning)}</span></td>` +
        `<td><span class="verdict ${d.sampling === "convergent" ? "good" : d.sampling === "non-convergent" ? "bad" : "none"}">${escape(d.sampling)}</span></td>` +
        `<td><details><summary>${d.evidence.length} tests, ${failed} failed</summary><table><tr><th>test</th><th>value</th><th>threshold</th><th>why</th></tr>${tests}</table></details></td>` +
        `<td>${trained?.recipeChanges ? recipeChangesHtml(trained.recipeChanges, profile, trained.config) : ""}</td></tr>`;
    });
    parts.push(`<h3>Verdicts <small>(<a href="#step-${escape(s.id)}">${escape(s.id)}</a>)</small></h3><table><tr><th>run</th><th>learning</th><th>sampling</th><th>evidence</th><th>recipe changes</th></tr>${rows.join("")}</table>`);
  }
  return parts.join("\n");
}

/** The baseline comparison: headline rows (labels, relations and what they name), the rest collapsed. */
export function baselineHtml(baseline: { file: string; rows: ComparisonRow[] } | null, why: string | null): string {
  if (!baseline) return why ? `<h3>Regression baseline</h3><p class="notes">${escape(why)}</p>` : "";
  const named = new Set<string>();
  for (const r of baseline.rows) {
    if (r.kind !== "relation") continue;
    for (const part of r.name.split(/ (?:<=|>=|<|>) /)) named.add(part);
  }
  const isHeadline = (r: ComparisonRow) => r.kind === "relation" || typeof r.value === "string" || typeof r.baseline === "string" || named.has(r.name);
  const row = (r: ComparisonRow) =>
    `<tr class="${r.status === "regressed" || r.status === "missing" ? "fail" : "pass"}"><td>${escape(r.status)}</td><td>${escape(r.name)}</td><td><code>${escape(fmt(r.value))}</code></td>` +
    `<td><code>${escape(fmt(r.baseline))}</code>${r.tolerance !== null ? ` ± ${escape(fmt(r.tolerance))}` : ""}</td><td>${escape(r.detail)}</td></tr>`;
  const head = "<tr><th>status</th><th>metric</th><th>this run</th><th>baseline</th><th>detail</th></tr>";
  const headline = baseline.rows.filter(isHeadline), rest = baseline.rows.filter((r) => !isHeadline(r));
  const bad = baseline.rows.filter((r) => r.status === "regressed" || r.status === "missing").length;
  return `<h3>Headline metrics against <code>${escape(baseline.file)}</code> <small>(${baseline.rows.length - bad} within, ${bad} regressed or missing)</small></h3>` +
    `<table>${head}${headline.map(row).join("")}</table>` +
    (rest.length ? `<details><summary>All ${rest.length} other baselined metrics</summary><table>${head}${rest.map(row).join("")}</table></details>` : "");
}
