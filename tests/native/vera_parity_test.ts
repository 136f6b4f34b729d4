/**
 * A seeded VERA toy update gives the same result on the native backend as on the cpu backend
 * (the path its Tile, Square, Relu and broadcast-first Sub took before they went native): the
 * logged statistics and every EBM and generator weight after three updates agree to float
 * tolerance (oneDNN's matMul sums in another order, so not bit for bit), and two native runs
 * from the same seed agree bit for bit.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions
import { assertClose, assertEquals } from "../assert.ts";
import { assertIdentical, ensureNative, useBackend } from "./parity.ts";
import { nativeStats } from "../../lib/tensor/native/install.ts";
import { sampleToy2d } from "../../lib/data/toy_2d.ts";
import { Random } from "../../lib/util/random.ts";
import { VeraToyConfig, VeraToyProblem } from "../../lib/vera/toy.ts";

await ensureNative();

const points = sampleToy2d("rings", 2000, new Random(3));
const config = VeraToyConfig.parse({ n_iters: 3, batch_size: 50, num_samples_posterior: 6, h_dim: 32, glr: 0.003 });

/** Three updates on `backend`; the last update's statistics and all weights, flattened. */
async function run(backend: string): Promise<{ stats: number[]; weights: Float32Array }> {
  useBackend(backend);
  // The pool is only used by finish(), which this test does not call.
  const problem = new VeraToyProblem(config, points, "rings", 11, null as never);
  let stats: number[] = [];
  for (let i = 1; i <= 3; i++) {
    const r = await problem.iterate(i);
    const last = problem.last;
    stats = [r.d_t, r.r_t, Number(last.ent_gn), Number(last.sigma), Number(last.post_sigma)];
  }
  const parts = [...problem.net.params, ...problem.gen.params, problem.gen.postLogsigma].map((p) => Array.from(p.variable.dataSync()));
  problem.gen.dispose();
  problem.net.dispose();
  return { stats, weights: Float32Array.from(parts.flat()) };
}

Deno.test("a seeded VERA toy update on native matches cpu (1e-4 relative) and repeats itself bit for bit", async () => {
  const before = { ...nativeStats().fallbacks };
  const native = await run("native");
  const after = nativeStats().fallbacks;
  for (const kernel of ["Tile", "Square", "Relu", "Sub"]) {
    assertEquals(after[kernel] ?? 0, before[kernel] ?? 0, `${kernel} must stay on the native path`);
  }
  const cpu = await run("cpu");
  assertClose(native.stats, cpu.stats, 1e-4, "d_t, r_t, ent_gn, σ, σ_post of the third update");
  assertClose(native.weights, cpu.weights, 1e-4, "EBM, generator and posterior weights");
  assertIdentical((await run("native")).weights, native.weights, "a second native run");
});
