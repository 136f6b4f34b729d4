/**
 * Shared helpers of the training tests: a tiny image dataset step output and a task context
 * whose resume directory can be shared between two runs (to simulate kill + re-run).
 * @module
 */
import { writeImageDataset } from "../../lib/data/dataset_file.ts";
import { makeTestContext, type TestContext } from "../task_context.ts";
import type { StepInput } from "../../lib/task.ts";
import { Random } from "../../lib/util/random.ts";

/** Writes `n` smooth random 32×32×`c` images in [-1, 1] as a dataset step output; returns its input. */
export async function tinyImageInput(root: string, n = 8, c = 1): Promise<StepInput> {
  const dir = `${root}/data-step`;
  await Deno.mkdir(dir, { recursive: true });
  const rng = new Random(5);
  const images = new Float32Array(n * 32 * 32 * c);
  for (let i = 0; i < n; i++) {
    const fx = rng.uniform() * 0.4, fy = rng.uniform() * 0.4;
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let k = 0; k < c; k++) {
      images[((i * 32 + y) * 32 + x) * c + k] = Math.sin(fx * x + fy * y + k);
    }
  }
  await writeImageDataset(`${dir}/data.safetensors`, { images, shape: [n, 32, 32, c] }, { source: "test" });
  return { id: "data", task: "test-images", dir };
}

/** A test context whose resumeDir is `resumeDir` (shared across runs when given). */
export async function contextWithResume<C>(config: C, inputs: StepInput[], resumeDir?: string, seed = 123): Promise<TestContext<C>> {
  const t = await makeTestContext(config, { inputs, seed, threads: 1 });
  if (resumeDir) {
    await Deno.mkdir(resumeDir, { recursive: true });
    t.ctx.resumeDir = resumeDir;
  }
  t.ctx.backend = "cpu";
  return t;
}
