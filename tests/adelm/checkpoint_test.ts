import * as tf from "@tensorflow/tfjs-core";
import metastableSearch from "../../tasks/metastable-search.ts";
import basinCluster from "../../tasks/basin-cluster.ts";
import { createNet } from "../../lib/nets/net.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createPool } from "../../lib/pool/pool.ts";
import { encodeSafetensors, type NamedTensor } from "../../lib/util/safetensors.ts";
import { writeFileAtomic } from "../../lib/util/fs.ts";
import { parseBasinsJson } from "../../lib/artifacts/basins_file.ts";
import { readJson } from "../../lib/util/fs.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makeTestContext, type TestContext } from "../task_context.ts";
import { readMinima } from "./known_answers.ts";

/** A small untrained VanillaNet checkpoint in the train-ebm layout, in its own "training step" dir. */
async function writeCheckpoint(): Promise<{ dir: string; net: ReturnType<typeof createNet> }> {
  const net = createNet("vanilla", { n_c: 1, n_f: 4 }, 3);
  const tensors: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(net.stateDict())) tensors[`net.${k}`] = { dtype: "F32", shape: v.shape, data: v.data };
  const dir = await Deno.makeTempDir({ prefix: "adelm-train-" });
  await writeFileAtomic(`${dir}/checkpoint.safetensors`, encodeSafetensors(tensors, { net_type: "vanilla", n_c: "1", n_f: "4" }));
  return { dir, net };
}

Deno.test("adelm tasks: a train-ebm checkpoint runs through search and clustering, same results in pool and serial", async () => {
  await initBackend("cpu");
  const { dir, net } = await writeCheckpoint();
  const pool = createPool({ threads: 1 }); // one worker start-up (tfjs + backend) keeps the test short
  const contexts: TestContext<unknown>[] = [];
  try {
    const train = { id: "train", task: "train-ebm", dir };
    const outs = [];
    for (const mode of ["pool", "serial"] as const) {
      const search = await makeTestContext(metastableSearch.config.parse({
        energy: { kind: "checkpoint" }, state_shape: [32, 32, 1], chains: 3, init: { kind: "uniform", low: -1, high: 1 },
        search: { temperature: 1e-4, step_size: 0.01, patience: 2, max_steps: 4, clamp: [-1, 1] }, execution: { mode },
      }), { seed: 5, pool, inputs: [train], backend: "cpu" });
      contexts.push(search);
      await metastableSearch.run(search.ctx);
      const cluster = await makeTestContext(basinCluster.config.parse({
        energy: { kind: "checkpoint" }, ad: { temperature: 1e-4, step_size: 0.01, alpha: 1e3, delta: 1, patience: 2, max_steps: 4 },
        reps: 1, barrier: { k: 1, reps: 1 }, execution: { mode },
      }), { seed: 5, pool, inputs: [train, { id: "search", task: "metastable-search", dir: search.ctx.outDir }], backend: "cpu" });
      contexts.push(cluster);
      await basinCluster.run(cluster.ctx);
      outs.push({ search: search.ctx.outDir, cluster: cluster.ctx.outDir });
    }
    const { minima, energies } = await readMinima(outs[0].search);
    assertEquals(minima[0].length, 32 * 32 * 1, "state size");
    const direct = tf.tidy(() => Array.from(net.energy(tf.tensor(minima.flatMap((m) => Array.from(m)), [3, 32, 32, 1])).dataSync()));
    assertClose(energies, direct, 1e-5, "stored energies vs the network's energies of the stored minima");
    const [a, b] = await Promise.all(outs.map((o) => Deno.readFile(`${o.search}/minima.safetensors`)));
    assert(a.length === b.length && a.every((v, i) => v === b[i]), "pool and serial minima differ");
    const [ja, jb] = await Promise.all(outs.map((o) => Deno.readTextFile(`${o.cluster}/basins.json`)));
    assertEquals(JSON.parse(ja).basins, JSON.parse(jb).basins, "pool vs serial basins");
    parseBasinsJson(await readJson(`${outs[0].cluster}/basins.json`), "basins.json"); // plot-basins can read it
  } finally {
    for (const c of contexts) await c.dispose();
    await pool.close();
    net.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adelm tasks: a checkpoint energy without a training input fails naming the field", async () => {
  const missing = await makeTestContext(metastableSearch.config.parse({ energy: { kind: "checkpoint" }, state_shape: [4], execution: { mode: "serial" } }), { seed: 1 });
  const bad = await makeTestContext(metastableSearch.config.parse({ energy: { kind: "checkpoint", path: "/nonexistent.safetensors" }, state_shape: [4] }), { seed: 1 });
  try {
    await assertThrowsAsync(() => metastableSearch.run(missing.ctx), "'energy.path'", "with checkpoint.safetensors, found 0");
    await assertThrowsAsync(() => metastableSearch.run(bad.ctx), "Cannot read config 'energy.path'", "/nonexistent.safetensors");
  } finally {
    await missing.dispose();
    await bad.dispose();
  }
});
