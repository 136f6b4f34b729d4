/**
 * `train-vera-toy` and `train-pcd-toy` on a tiny 8gaussians point set: outputs and their formats
 * (the energy's keys and sign, the generator file, the sampler's points, the landscape), the
 * centred MSE, and a killed run resuming to the result of an uninterrupted one.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { POINT_SET_FILE, readPointSet, SAMPLES_FILE, writePointSet } from "../../lib/data/point_set_file.ts";
import { eightGaussiansLogDensities, sampleToy2d } from "../../lib/data/toy_2d.ts";
import { Random } from "../../lib/util/random.ts";
import { readCheckpoint } from "../../lib/artifacts/checkpoint.ts";
import { readLandscapeFile } from "../../lib/artifacts/landscape_file.ts";
import { readGeneratorFile } from "../../lib/vera/files.ts";
import { centredMse, PcdToyConfig, PcdToyProblem, VeraToyConfig, VeraToyProblem } from "../../lib/vera/toy.ts";
import { createNet } from "../../lib/nets/net.ts";
import { runTrainingLoop } from "../../lib/train/loop.ts";
import { makeTestContext } from "../task_context.ts";
import trainVeraToy from "../../tasks/train-vera-toy.ts";
import trainPcdToy from "../../tasks/train-pcd-toy.ts";
import { assert, assertClose, assertEquals } from "../assert.ts";

await initBackend("cpu");

const root = await Deno.makeTempDir({ prefix: "vera-toy-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const points = sampleToy2d("8gaussians", 600, new Random(1));
await Deno.mkdir(`${root}/data`);
await writePointSet(`${root}/data/${POINT_SET_FILE}`, { points, dim: 2, dataset: "8gaussians" });
const dataInput = { id: "data-8gaussians", task: "toy-2d", dir: `${root}/data` };
const tiny = { n_iters: 6, log_every: 2, eval_points: 300, n_samples_out: 50, viz_res: 12, summary_window: 6, batch_size: 20, h_dim: 16 };

Deno.test("centred MSE ignores the normalising constant", () => {
  assertClose(centredMse([1, 2, 3], [11, 12, 13]), 0, 1e-12, "constant offset");
  assertClose(centredMse([0, 2], [0, 0]), 1, 1e-12, "(1² + 1²)/2 after centring");
});

for (const [name, task, config] of [
  ["train-vera-toy", trainVeraToy, VeraToyConfig.parse({ ...tiny, num_samples_posterior: 4 })],
  ["train-pcd-toy", trainPcdToy, PcdToyConfig.parse({ ...tiny, epsilon: 0.354, num_mcmc_steps: 3, s_t_0_size: 100 })],
] as const) {
  Deno.test(`${name}: writes the energy E (f.* keys), the sampler's points, the landscape and the MSE`, async () => {
    const t = await makeTestContext(config, { inputs: [dataInput], seed: 7, backend: "cpu" });
    try {
      // deno-lint-ignore no-explicit-any
      await (task as any).run(t.ctx);
      const dir = t.ctx.outDir;
      const ck = await readCheckpoint(`${dir}/ebm.safetensors`);
      assertEquals(ck.shape, { net_type: "mlp", n_c: 2, n_f: 16 }, "network shape");
      assertEquals(Object.keys(ck.stateDict), ["f.0.weight", "f.0.bias", "f.2.weight", "f.2.bias", "f.4.weight", "f.4.bias"], "keys");
      assertEquals(ck.stateDict["f.0.weight"].shape, [16, 2], "f.0.weight shape");
      // mse_logp is computed from −E of the stored file on the first eval_points training points.
      const net = createNet("mlp", { n_c: 2, n_f: 16 });
      net.loadStateDict(ck.stateDict);
      const evalPts = new Float32Array(600);
      for (let i = 0; i < 300; i++) evalPts.set(points.subarray(4 * i, 4 * i + 2), 2 * i); // every 2nd of 600 points
      const logp = Float64Array.from(tf.tidy(() => net.energy(tf.tensor2d(evalPts, [300, 2])).dataSync()), (e) => -e);
      assertClose(Number(t.metrics!.mse_logp), centredMse(logp, eightGaussiansLogDensities(evalPts)), 1e-4, "mse_logp from the stored energy");
      net.dispose();
      const samples = await readPointSet(`${dir}/${SAMPLES_FILE}`);
      assertEquals([samples.count, samples.dim], [50, 2], "sampler points");
      const land = await readLandscapeFile(`${dir}/landscape.json`);
      assertEquals([land.resolution, land.extent, land.ebmDensity?.length, land.kdeDensity?.length, land.trueDensity?.length], [12, 4, 144, 144, 144], "landscape");
      if (name === "train-vera-toy") {
        const g = await readGeneratorFile(`${dir}/generator.safetensors`);
        assertEquals([g.arch.noiseDim, g.arch.hidden, g.arch.dataDim], [2, [16, 16], 2], "generator arch");
        assert(g.stateDict.logsigma.data[0] <= Math.log(0.3) + 1e-6, "σ clamped");
      }
      assert(Number.isFinite(Number(t.metrics!.kl_true_ebm)) && t.metrics!.iterations === 6, JSON.stringify(t.metrics));
    } finally {
      await t.dispose();
    }
  });
}

Deno.test("VERA and PCD toy runs killed after iteration 3 resume to the uninterrupted result", async () => {
  for (const make of [
    (seed: number) => new VeraToyProblem(VeraToyConfig.parse({ ...tiny, num_samples_posterior: 4 }), points, "8gaussians", seed, null as never),
    (seed: number) => new PcdToyProblem(PcdToyConfig.parse({ ...tiny, epsilon: 0.354, num_mcmc_steps: 3, s_t_0_size: 100 }), points, "8gaussians", seed, null as never),
  ]) {
    const weights: Float32Array[] = [];
    for (const kill of [false, true]) {
      const dir = await Deno.makeTempDir({ dir: root });
      const opts = (problem: { iterate: unknown }) => ({
        numIters: 6, logFreq: 3, lrInit: 1e-3, lrMin: 1e-3, lrDecay: 1, summaryWindow: 6, seed: 5, config: { test: true },
        resumeDir: `${dir}/resume`, outDir: `${dir}/out`, log: { info() {}, warn() {}, debug() {} } as never, progress: { update() {} } as never,
        afterIteration: kill && problem ? (i: number) => {
          if (i === 3) throw new Error("killed");
        } : undefined,
      });
      const first = make(5);
      // finish() needs the pool; the comparison only needs the weights, so stop before it.
      first.finish = () => Promise.resolve({});
      let threw = false;
      try {
        await runTrainingLoop(first, opts(first));
      } catch (e) {
        threw = (e as Error).message === "killed";
      }
      assertEquals(threw, kill, "killed run");
      let last = first;
      if (kill) {
        last = make(5);
        last.finish = () => Promise.resolve({});
        await runTrainingLoop(last, { ...opts(last), afterIteration: undefined });
      }
      const sd = "net" in last ? last.net.stateDict() : (last as PcdToyProblem).model.net.stateDict();
      weights.push(sd["f.2.weight"].data);
    }
    assertClose(weights[1], weights[0], 1e-6, "weights after resume vs uninterrupted");
  }
});
