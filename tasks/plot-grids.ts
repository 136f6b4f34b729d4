/**
 * Task `plot-grids`: image grids (the paper's `plot_ims`, see `lib/plot/grid.ts`) of saved
 * states — e.g. the persistent bank, long-run or eval final states — for every upstream step
 * that has one of the listed safetensors files. Every 4-D float tensor in them becomes
 * `<step>-<file stem>-<tensor>.png` of its first `max_images` images. Tensors are NHWC; a
 * tensor shaped [N, 1|3, H, W] whose last axis is not 1 or 3 is read as NCHW (PyTorch layout).
 *
 * @example
 * ```yaml
 * steps:
 *   grids: { task: plot-grids, needs: [train, eval], config: { max_images: 64 } }
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "../lib/task.ts";
import { exists } from "../lib/util/fs.ts";
import { readSafetensors } from "../lib/util/safetensors.ts";
import { writeGridPng } from "../lib/data/image_grid.ts";

/** NHWC copy of the first `count` images of a 4-D tensor, or null when it is not an image batch. */
export function imageBatch(shape: number[], data: ArrayLike<number>, count: number): { data: Float32Array; n: number; height: number; width: number; channels: number } | null {
  if (shape.length !== 4) return null;
  const [n0, a, b, c] = shape;
  const n = Math.min(n0, count);
  if ([1, 3].includes(c)) return { data: Float32Array.from({ length: n * a * b * c }, (_, i) => data[i]), n, height: a, width: b, channels: c };
  if (![1, 3].includes(a)) return null;
  // NCHW → NHWC
  const [channels, height, width] = [a, b, c];
  const out = new Float32Array(n * height * width * channels);
  for (let k = 0; k < n; k++) {
    for (let ch = 0; ch < channels; ch++) {
      for (let p = 0; p < height * width; p++) out[(k * height * width + p) * channels + ch] = data[(k * channels + ch) * height * width + p];
    }
  }
  return { data: out, n, height, width, channels };
}

export default defineTask({
  name: "plot-grids",
  description: "Writes make_grid-style PNGs of the image batches saved by upstream steps (bank, long-run, eval states).",
  usesSeed: false,
  config: z.object({
    files: z.array(z.string()).default(["final_states.safetensors", "initial_states.safetensors", "bank.safetensors"]),
    /** Images per grid (the paper's batch of 100 gives a 10×10 grid). */
    max_images: z.number().int().min(1).default(100),
  }),
  async run(ctx) {
    let written = 0;
    for (const input of ctx.inputs) {
      for (const file of ctx.config.files) {
        const path = join(input.dir, file);
        if (!(await exists(path))) continue;
        const { tensors } = await readSafetensors(path);
        for (const [name, tensor] of Object.entries(tensors)) {
          if (tensor.dtype !== "F32" && tensor.dtype !== "F64") continue;
          const batch = imageBatch(tensor.shape, tensor.data as Float32Array, ctx.config.max_images);
          if (!batch) continue;
          const out = `${input.id}-${file.replace(/\.safetensors$/, "")}-${name}.png`.replace(/[^A-Za-z0-9._-]/g, "_");
          await writeGridPng(join(ctx.outDir, out), batch.data, batch);
          ctx.log.info(`${out}: ${batch.n} of ${tensor.shape[0]} images from ${path}`);
          written++;
        }
      }
    }
    if (written === 0) throw new Error(`Cannot plot grids: no upstream step has an image tensor in ${ctx.config.files.join(", ")} (inputs: ${ctx.inputs.map((i) => i.id).join(", ") || "none"})`);
    await ctx.writeMetrics({ grids: written });
  },
});
