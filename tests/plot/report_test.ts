import { dirname, join, resolve } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import plotDiagnostics from "../../tasks/plot-diagnostics.ts";
import plotLandscape from "../../tasks/plot-landscape.ts";
import plotSampling from "../../tasks/plot-sampling.ts";
import plotBasins from "../../tasks/plot-basins.ts";
import report from "../../tasks/report.ts";
import type { StepInput, TaskDefinition } from "../../lib/task.ts";
import { probePage } from "../../lib/plot/chromium.ts";
import { writeReportFromLock } from "../../lib/plot/report.ts";
import { writeJsonAtomic } from "../../lib/util/fs.ts";
import { makeTestContext } from "../task_context.ts";
import { commitStep, makeProject } from "./fixture.ts";
import { writeGridPng } from "../../lib/data/image_grid.ts";
import { DIAGNOSIS_FILE, writeDiagnosis } from "../../lib/diagnosis/file.ts";
import { progressGroups } from "../../lib/plot/report_summary.ts";
import { decodePng } from "./png.ts";

// deno-lint-ignore no-explicit-any
async function runAndCommit(root: string, pipeline: string, id: string, task: TaskDefinition<any>, inputs: StepInput[]) {
  const t = await makeTestContext(task.config.parse({}), { inputs });
  try {
    await task.run(t.ctx);
    return await commitStep(root, pipeline, id, task.name, async (dir) => {
      for await (const e of Deno.readDir(t.ctx.outDir)) await Deno.copyFile(join(t.ctx.outDir, e.name), join(dir, e.name));
    });
  } finally {
    await t.dispose();
  }
}

function hrefs(html: string): string[] {
  return [...html.matchAll(/<a href="([^"#][^"]*)"/g)].map((m) => decodeURIComponent(m[1].replace(/&amp;/g, "&")));
}

Deno.test("report: every step with status, time, fingerprint, config, metrics, figures; opens in headless Chromium", async () => {
  const project = await makeProject();
  const { root, pipeline } = project;
  const cwd = Deno.cwd();
  try {
    const { train, toy, eval: evalStep, cluster } = project.inputs;
    const plots = [
      await runAndCommit(root, pipeline, "diagnostics", plotDiagnostics, [train]),
      await runAndCommit(root, pipeline, "landscape", plotLandscape, [toy]),
      await runAndCommit(root, pipeline, "paths", plotSampling, [evalStep]),
      await runAndCommit(root, pipeline, "basins", plotBasins, [cluster]),
    ];
    // The previous run (finished 30 min ago) produced `train`; everything else is new.
    await writeJsonAtomic(join(root, "outputs", pipeline, "pipeline.lock.json"), {
      version: 1, pipeline, profile: "smoke", started: new Date(Date.now() - 3700_000).toISOString(), finished: new Date(Date.now() - 1800_000).toISOString(),
      runtime: { deno: "2.9.6", backend: "wasm", backendNote: "test" },
      steps: {
        train: { task: "train-data", status: "ran", fingerprint: project.fingerprints.train, fields: { config: { lr_init: 0.0001, num_mcmc_steps: 100 }, seed: 7 }, started: null, seconds: 1234.5, output: `outputs/.cache/${project.fingerprints.train}`, files: [], metrics: {}, recipe_changes: { num_mcmc_steps: "500 → 100: a shorter chain fits the budget" } },
      },
    });
    // A progress series of one kind (three grids) and a diagnose step; a baseline for the summary.
    const progress = await commitStep(root, pipeline, "progress", "train-ebm", async (dir) => {
      await Deno.mkdir(join(dir, "samples"));
      for (const [k, it] of [10, 20, 30].entries()) {
        await writeGridPng(join(dir, "samples", `samples_${String(it).padStart(7, "0")}.png`), Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i * (k + 1))), { n: 4, height: 8, width: 8, channels: 1 });
      }
    });
    const diagnoseStep = await commitStep(root, pipeline, "diagnose", "diagnose", async (dir) => {
      await writeDiagnosis(join(dir, DIAGNOSIS_FILE), {
        train: { learning: "stable", sampling: "non-convergent", evidence: [{ test: "KL(true‖EBM density)", value: 28.4, threshold: 1, why: "fails: the density is far off" }] },
      });
      await writeJsonAtomic(join(dir, "metrics.json"), { "train.learning": "stable", "train.sampling": "non-convergent" });
    });
    await Deno.mkdir(join(root, "configs", "baselines"), { recursive: true });
    await writeJsonAtomic(join(root, "configs", "baselines", `${pipeline}.smoke.json`), {
      version: 1, pipeline, profile: "smoke",
      metrics: {
        "diagnose.train.sampling": { value: "non-convergent" },
        "diagnose.train.learning": { value: "unstable" },
        "paths.eval.steps": { value: 50, tolerance: 0, direction: "either" },
        "report.steps": { value: 10, tolerance: 0, direction: "either" },
      },
      relations: [{ left: "paths.eval.mean_acceptance", op: ">", right: 0, why: "MALA accepts some proposals" }],
    });
    const inputs = [train, toy, evalStep, cluster, ...plots, progress, diagnoseStep];
    const t = await makeTestContext(report.config.parse({ pipeline }), { inputs });
    Deno.chdir(root);
    try {
      await report.run(t.ctx);
    } finally {
      Deno.chdir(cwd);
    }
    const page = join(root, "outputs", pipeline, "report.html");
    const html = await Deno.readTextFile(page);
    // The copy in the step's own output shows the same steps and figures.
    const copy = await Deno.readTextFile(join(t.ctx.outDir, "report.html"));
    await t.dispose();
    assert(copy.includes('id="step-train"') && (copy.match(/<img /g) ?? []).length === (html.match(/<img /g) ?? []).length, "report.html in the step output too");
    for (const id of ["train", "toy", "eval", "cluster", "diagnostics", "landscape", "paths", "basins"]) assert(html.includes(`id="step-${id}"`), `section for ${id}`);
    assert(/id="step-train">.*?<span class="status cached">cached<\/span>/.test(html), "train is cached (same fingerprint, committed before the last run)");
    assert(/id="step-diagnostics">.*?<span class="status ran">ran<\/span>/.test(html), "diagnostics ran in this run");
    assert(html.includes("20 min 35 s"), "cached step shows the time recorded in the lock");
    assert(html.includes(project.fingerprints.train) && html.includes("&quot;lr_init&quot;: 0.0001") && html.includes("seed 7"), "fingerprint, config and seed");
    assert(html.includes("d_t_mean") && html.includes("train.d_lag1_autocorr"), "metrics tables");
    for (const href of hrefs(html)) assert(await Deno.stat(resolve(dirname(page), href)).then(() => true, () => false), `link ${href} resolves from the report`);
    assert(!/src="(?!data:)/.test(html), "every image is inlined");
    const pngCount = (html.match(/<img /g) ?? []).length;
    assertEquals(pngCount, 1 + 1 + 1 + 1 + 4 + 4 + 3, "shortrun grid, diagnostics, landscape, sampling, disconnectivity + 2 basin grids + representatives, 4 key figures again in the summary, 3 progress frames");
    // The page leads with the summary: verdicts, the baseline comparison, key figures; then the steps.
    assert(html.indexOf('id="summary"') > 0 && html.indexOf('id="summary"') < html.indexOf('id="steps"') && html.indexOf('id="steps"') < html.indexOf('id="step-train"'), "summary first");
    assert(/<td><a href="#step-train">train<\/a><\/td><td><span class="verdict good">stable<\/span><\/td><td><span class="verdict bad">non-convergent<\/span>/.test(html), "verdicts table");
    assert(html.includes("fails: the density is far off"), "evidence shown");
    // The profile's recipe change is printed next to the run: in the verdicts and in its section.
    const recipe = "<code>num_mcmc_steps</code> = <code>100</code>: 500 → 100: a shorter chain fits the budget";
    assertEquals(html.split(recipe).length - 1, 2, "recipe change in the verdicts table and the step section");
    assert(html.includes("Recipe changed by the smoke profile"), "names the profile");
    assert(html.includes(`${pipeline}.smoke.json`) && /<tr class="fail"><td>regressed<\/td><td>diagnose\.train\.learning<\/td>/.test(html), "a changed label shows as regressed against the baseline");
    assert(!html.includes("report.steps"), "baselined metrics of the report step itself are left out");
    for (const what of ["learning diagnostics", "toy landscape", "sampling paths", "disconnectivity graph"]) assert(html.includes(`<figcaption>${what}`), `key figure: ${what}`);
    assertEquals((html.match(/<input type="range"/g) ?? []).length, 1, "one slider for the progress series");

    const shot = join(root, "report-screenshot.png");
    const probe = await probePage(page, { screenshot: shot, width: 1400, height: 2400 });
    assertEquals(probe.images, pngCount);
    assertEquals(probe.broken, [], "no broken images");
    assertEquals(probe.errors, [], "no console errors");
    assert(probe.sizes.every(([w, h]) => w > 0 && h > 0));
    // In the real browser the slider shows the last frame first and moves through the series.
    assertEquals(probe.sliders, [{ frames: 3, before: 2, atMin: 0, atMax: 2, labelMin: "iteration 10", labelMax: "iteration 30" }]);
    const screenshot = await decodePng(await Deno.readFile(shot));
    assertEquals([screenshot.width, screenshot.height], [1400, 2400]);
    const keep = Deno.env.get("PLOT_TEST_KEEP");
    if (keep) {
      await Deno.copyFile(shot, join(keep, "report-screenshot.png"));
      await Deno.copyFile(page, join(keep, "report.html"));
    }
  } finally {
    Deno.chdir(cwd);
    await project.dispose();
  }
});

Deno.test("the Chromium probe catches a broken image and a script error (negative control)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const page = join(dir, "bad.html");
    await Deno.writeTextFile(page, `<!DOCTYPE html><html><head><title>x</title></head><body><img alt="missing" src="missing.png"><script>console.error("boom"); undefinedFunction();</script></body></html>`);
    const probe = await probePage(page);
    assertEquals(probe.images, 1);
    assertEquals(probe.broken, ["missing"]);
    assert(probe.errors.some((e) => e.includes("failed to load") && e.includes("missing.png")), probe.errors.join(" | "));
    assert(probe.errors.some((e) => e.includes("console.error: boom")), probe.errors.join(" | "));
    assert(probe.errors.some((e) => e.includes("undefinedFunction")), probe.errors.join(" | "));
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.html"], "the probed copy is removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeReportFromLock rebuilds the page from the final lock", async () => {
  const project = await makeProject();
  try {
    const { root, pipeline, fingerprints } = project;
    await writeJsonAtomic(join(root, "outputs", pipeline, "pipeline.lock.json"), {
      version: 1, pipeline, profile: null, started: "2026-01-01T10:00:00.000Z", finished: "2026-01-01T10:05:00.000Z",
      runtime: { deno: "2.9.6", backend: "wasm", backendNote: null },
      steps: {
        train: { task: "train-data", status: "ran", fingerprint: fingerprints.train, fields: { config: { epsilon: 0.01 }, seed: 1 }, started: "2026-01-01T10:00:00.000Z", seconds: 61, output: `outputs/.cache/${fingerprints.train}`, files: ["metrics.json"], metrics: { loss: 0.5 } },
        broken: { task: "train-toy", status: "failed", fingerprint: "ab", fields: { config: {}, seed: 0 }, started: null, seconds: 2, output: null, files: [], metrics: null, error: "Training diverged at iteration 5" },
      },
    });
    const path = await writeReportFromLock(root, pipeline);
    const html = await Deno.readTextFile(path);
    assert(html.includes('<span class="status failed">failed</span>') && html.includes("Training diverged at iteration 5"));
    assert(html.includes("1 min 1 s") && html.includes("&quot;epsilon&quot;: 0.01"));
    assertEquals((html.match(/<img /g) ?? []).length, 1, "train's grid");
  } finally {
    await project.dispose();
  }
});

Deno.test("report: progress series are grouped by their zero-padded iteration, in numeric order; short numbers stay apart", () => {
  const groups = progressGroups(["basin-1.png", "basin-2.png", "shortrun/shortrun_001000.png", "shortrun/shortrun_000200.png", "bank/bank_000200.png", "final.png", "landscapes/landscape_000300.png"]);
  assertEquals(groups, [{ key: "shortrun/shortrun_#.png", files: ["shortrun/shortrun_000200.png", "shortrun/shortrun_001000.png"], labels: ["200", "1000"] }]);
});
