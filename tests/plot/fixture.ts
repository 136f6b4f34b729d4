/**
 * A fake project on disk shaped like the runner's layout: store entries
 * `outputs/.cache/<fingerprint>/` (with `manifest.json`, `step.log`, `metrics.json`) linked from
 * `outputs/<pipeline>/<step>`, holding what the training, toy, sampling and ADELM tasks write.
 * Plot tasks run on it through hand-made contexts; {@link commitStep} stores their outputs the
 * way the runner would.
 *
 * @example
 * ```ts
 * import { makeProject } from "./fixture.ts";
 * const project = await makeProject();
 * try { console.log(project.inputs.train.dir); } finally { await project.dispose(); }
 * ```
 * @module
 */
import { join } from "node:path";
import type { StepInput } from "../../lib/task.ts";
import { writeJsonAtomic, writeFileAtomic } from "../../lib/util/fs.ts";
import { encodeSafetensors } from "../../lib/util/safetensors.ts";
import { writeGridPng } from "../../lib/data/image_grid.ts";
import { Random } from "../../lib/util/random.ts";

/** The fake project. */
export interface Project {
  root: string;
  pipeline: string;
  inputs: Record<"train" | "toy" | "eval" | "cluster", StepInput>;
  dispose(): Promise<void>;
}

let counter = 0;
function fingerprint(): string {
  counter++;
  return Array.from({ length: 64 }, (_, i) => ((i * 7 + counter * 13) % 16).toString(16)).join("");
}

/** Stores the files of `dir` as the output of step `id` (manifest, symlink) and returns its input. */
export async function commitStep(root: string, pipeline: string, id: string, task: string, files: (dir: string) => Promise<void>, created = new Date()): Promise<StepInput & { fingerprint: string }> {
  const fp = fingerprint();
  const dir = join(root, "outputs", ".cache", fp);
  await Deno.mkdir(dir, { recursive: true });
  await files(dir);
  const start = new Date(created.getTime() - 1500).toISOString();
  await Deno.writeTextFile(join(dir, "step.log"), `${start} INFO  starting ${id}\n${created.toISOString()} INFO  done\n`);
  await writeJsonAtomic(join(dir, "manifest.json"), { version: 1, fingerprint: fp, created: created.toISOString(), files: {} });
  await Deno.mkdir(join(root, "outputs", pipeline), { recursive: true });
  const link = join(root, "outputs", pipeline, id);
  await Deno.remove(link).catch(() => {});
  await Deno.symlink(join("..", ".cache", fp), link);
  return { id, task, dir, fingerprint: fp };
}

/** Builds the project with four upstream steps; `old` steps are committed an hour ago. */
export async function makeProject(): Promise<Project & { fingerprints: Record<string, string> }> {
  const root = await Deno.makeTempDir({ prefix: "ebm-plot-project-" });
  const pipeline = "demo";
  const rng = new Random(11);
  const hourAgo = new Date(Date.now() - 3600_000);
  const train = await commitStep(root, pipeline, "train", "train-data", async (dir) => {
    let previous = 0;
    const lines = [];
    for (let t = 1; t <= 3000; t++) {
      const d = -0.6 * previous + rng.normal();
      previous = d;
      lines.push(JSON.stringify({ iter: t, d_t: d, r_t: 3 + 0.3 * d + 0.1 * rng.normal(), lr: 1e-4, seconds: t * 0.1 }));
    }
    await Deno.writeTextFile(join(dir, "metrics.jsonl"), lines.join("\n") + "\n");
    await writeJsonAtomic(join(dir, "metrics.json"), { d_t_mean: 0.01, iterations: 3000 });
    const images = Float32Array.from({ length: 16 * 8 * 8 * 3 }, (_, i) => Math.sin(i / 7));
    await writeGridPng(join(dir, "shortrun.png"), images, { n: 16, height: 8, width: 8, channels: 3 });
  }, hourAgo);
  const toy = await commitStep(root, pipeline, "toy", "train-toy", async (dir) => {
    const r = 30, m = 1.6;
    const xs = Array.from({ length: r }, (_, i) => -m + (2 * m * i) / (r - 1));
    const density = xs.flatMap((y) => xs.map((x) => Math.exp(-((x - 1) ** 2 + y ** 2) / 0.05)));
    await writeJsonAtomic(join(dir, "landscape.json"), { resolution: r, extent: m, true_density: density, ebm_density: density, kde_density: density });
  });
  const evalStep = await commitStep(root, pipeline, "eval", "eval-sample", async (dir) => {
    const n = 200;
    await writeJsonAtomic(join(dir, "records.json"), {
      step: Array.from({ length: n }, (_, i) => i + 1),
      energy: Array.from({ length: n }, (_, i) => 100 / (1 + i)),
      grad_norm: Array.from({ length: n }, (_, i) => 10 / (1 + i)),
      acceptance: Array.from({ length: n }, () => 0.6 + 0.1 * rng.normal()),
    });
  });
  const cluster = await commitStep(root, pipeline, "cluster", "basin-cluster", async (dir) => {
    const minima = Float32Array.from({ length: 5 * 4 * 4 * 1 }, (_, i) => Math.cos(i));
    await writeFileAtomic(join(dir, "minima.safetensors"), encodeSafetensors({ minima: { dtype: "F32", shape: [5, 4, 4, 1], data: minima } }));
    await writeJsonAtomic(join(dir, "basins.json"), {
      energies: [-3, -2.5, -2, -1, -0.5],
      basins: [{ id: 0, representative: 0, members: [{ index: 0 }, { index: 1 }] }, { id: 1, representative: 2, members: [2, 3, 4] }],
      tree: { nodes: [{ node: 0, energy: -3 }, { node: 1, energy: -2 }, { node: 2, energy: 1, children: [0, 1] }], roots: [2] },
    });
  });
  return {
    root,
    pipeline,
    inputs: { train, toy, eval: evalStep, cluster },
    fingerprints: { train: train.fingerprint, toy: toy.fingerprint, eval: evalStep.fingerprint, cluster: cluster.fingerprint },
    dispose: () => Deno.remove(root, { recursive: true }),
  };
}
