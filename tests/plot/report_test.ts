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
        train: { task: "train-data", status: "ran", fingerprint: project.fingerprints.train, fields: { config: { lr_init: 0.0001, num_mcmc_steps: 100 }, seed: 7 }, started: null, seconds: 1234.5, output: `outputs/.cache/${project.fingerprints.train}`, files: [], metrics: {} },
      },
    });
    const inputs = [train, toy, evalStep, cluster, ...plots];
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
    assertEquals(pngCount, 1 + 1 + 1 + 1 + 4, "shortrun grid, diagnostics, landscape, sampling, disconnectivity + 2 basin grids + representatives");

    const shot = join(root, "report-screenshot.png");
    const probe = await probePage(page, { screenshot: shot, width: 1400, height: 2400 });
    assertEquals(probe.images, pngCount);
    assertEquals(probe.broken, [], "no broken images");
    assertEquals(probe.errors, [], "no console errors");
    assert(probe.sizes.every(([w, h]) => w > 0 && h > 0));
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
