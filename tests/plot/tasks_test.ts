import { join } from "node:path";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import plotDiagnostics from "../../tasks/plot-diagnostics.ts";
import plotLandscape from "../../tasks/plot-landscape.ts";
import plotSampling from "../../tasks/plot-sampling.ts";
import plotBasins from "../../tasks/plot-basins.ts";
import { makeTestContext } from "../task_context.ts";
import { makeProject } from "./fixture.ts";
import { decodePng } from "./png.ts";

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("plot tasks read the upstream files and write svg + png figures", async () => {
  const project = await makeProject();
  try {
    const { train, toy, eval: evalStep, cluster } = project.inputs;
    const diag = await makeTestContext(plotDiagnostics.config.parse({}), { inputs: [train, toy] });
    try {
      await plotDiagnostics.run(diag.ctx);
      assertEquals(await listDir(diag.ctx.outDir), ["diagnostics.png", "diagnostics.svg", "metrics.json"]);
      const m = diag.metrics!;
      assertEquals(m["train.iterations"], 3000);
      // d_t is AR(1) with coefficient −0.6: lag-1 autocorrelation near −0.6
      assert(Math.abs((m["train.d_lag1_autocorr"] as number) + 0.6) < 0.08, `lag-1 ${m["train.d_lag1_autocorr"]}`);
    } finally {
      await diag.dispose();
    }
    const land = await makeTestContext(plotLandscape.config.parse({}), { inputs: [toy] });
    try {
      await plotLandscape.run(land.ctx);
      const png = await decodePng(await Deno.readFile(join(land.ctx.outDir, "landscape.png")));
      assert(png.width > 1000 && png.height > 500, `${png.width}×${png.height}`);
    } finally {
      await land.dispose();
    }
    const sampling = await makeTestContext(plotSampling.config.parse({}), { inputs: [evalStep] });
    try {
      await plotSampling.run(sampling.ctx);
      assert(Math.abs((sampling.metrics!["eval.mean_acceptance"] as number) - 0.6) < 0.05);
      assert((await Deno.readTextFile(join(sampling.ctx.outDir, "sampling.svg"))).includes("MH acceptance rate"));
    } finally {
      await sampling.dispose();
    }
    const basins = await makeTestContext(plotBasins.config.parse({}), { inputs: [cluster] });
    try {
      await plotBasins.run(basins.ctx);
      assertEquals(await listDir(basins.ctx.outDir), ["basin-0.png", "basin-1.png", "disconnectivity.png", "disconnectivity.svg", "metrics.json", "representatives.png"]);
      // basin 1 = representative 2 then members 3, 4: int(√3) = 1 tile per row → 3 rows of 4×4 + 2 px
      // padding, enlarged ×3 (image_scale's default)
      const grid = await decodePng(await Deno.readFile(join(basins.ctx.outDir, "basin-1.png")));
      assertEquals([grid.width, grid.height], [3 * (4 + 4), 3 * (3 * (4 + 2) + 2)]);
    } finally {
      await basins.dispose();
    }
  } finally {
    await project.dispose();
  }
});

Deno.test("plot tasks fail clearly when no upstream wrote their input", async () => {
  const project = await makeProject();
  try {
    const t = await makeTestContext(plotDiagnostics.config.parse({}), { inputs: [project.inputs.toy] });
    try {
      await assertThrowsAsync(() => plotDiagnostics.run(t.ctx), "no upstream step wrote metrics.jsonl", "toy");
    } finally {
      await t.dispose();
    }
    const good = '{"iter":1,"d_t":1,"r_t":2,"lr":0.1,"seconds":1}\n';
    for (const [line, field] of [['{"iter":2,"d_t":"x","r_t":2,"lr":0.1,"seconds":1}', "'d_t'"], ['{"iter":2,"d_t":1,"lr":0.1,"seconds":1}', "'r_t'"]]) {
      await Deno.writeTextFile(join(project.inputs.train.dir, "metrics.jsonl"), `${good}${line}\n`);
      const bad = await makeTestContext(plotDiagnostics.config.parse({}), { inputs: [project.inputs.train] });
      try {
        await assertThrowsAsync(() => plotDiagnostics.run(bad.ctx), "metrics.jsonl' line 2", field);
      } finally {
        await bad.dispose();
      }
    }
  } finally {
    await project.dispose();
  }
});

Deno.test("plot-grids: NHWC and NCHW tensors become the same grid; non-image tensors are skipped", async () => {
  const { default: plotGrids, imageBatch } = await import("../../tasks/plot-grids.ts");
  const { encodeSafetensors } = await import("../../lib/util/safetensors.ts");
  // 4 images of 2×4 pixels, 3 channels (a last axis of 4 cannot be channels, so [4, 3, 2, 4] is NCHW)
  const nhwc = Float32Array.from({ length: 4 * 2 * 4 * 3 }, (_, i) => Math.sin(i));
  const nchw = new Float32Array(nhwc.length);
  for (let k = 0; k < 4; k++) for (let p = 0; p < 8; p++) for (let c = 0; c < 3; c++) nchw[(k * 3 + c) * 8 + p] = nhwc[(k * 8 + p) * 3 + c];
  const fromNchw = imageBatch([4, 3, 2, 4], nchw, 100)!;
  assertEquals([fromNchw.n, fromNchw.height, fromNchw.width, fromNchw.channels], [4, 2, 4, 3], "NCHW read as 4 images of 2×4×3");
  assertEquals([...fromNchw.data], [...nhwc], "NCHW converted to NHWC");
  assertEquals(imageBatch([4, 2, 4, 3], nhwc, 2)!.data.length, 2 * 24, "max_images keeps the first images");
  assertEquals(imageBatch([4, 5, 5, 5], nhwc, 2), null, "not an image batch");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "final_states.safetensors"), encodeSafetensors({
      states: { dtype: "F32", shape: [4, 2, 4, 3], data: nhwc },
      energies: { dtype: "F32", shape: [4], data: new Float32Array(4) },
    }));
    const t = await makeTestContext(plotGrids.config.parse({ max_images: 2 }), { inputs: [{ id: "eval", task: "eval-sample", dir }] });
    try {
      await plotGrids.run(t.ctx);
      assertEquals(await listDir(t.ctx.outDir), ["eval-final_states-states.png", "metrics.json"]);
      const png = await decodePng(await Deno.readFile(join(t.ctx.outDir, "eval-final_states-states.png")));
      assertEquals([png.width, png.height], [4 + 4, 2 * (2 + 2) + 2], "2 images, int(√2) = 1 per row");
    } finally {
      await t.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
