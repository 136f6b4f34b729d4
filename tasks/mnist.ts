/**
 * Task `mnist`: MNIST's IDX files from `local_path` when set, else downloaded (resumable,
 * MD5-verified, after a short connection probe) from torchvision's mirror — config `sources`, see
 * `lib/data/idx_source.ts`; resized PIL-exactly 28 → `im_sz` (the paper's `Resize(32)`) or padded;
 * 1 channel in [-1, 1]. Output: `data.safetensors` (+ labels) and `metrics.json`.
 *
 * @example
 * ```yaml
 * steps:
 *   mnist: { task: mnist, config: { local_path: /data/mnist } }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { MNIST, mnistLikeSchema, resolveMnistLikeInputs, runMnistLike } from "../lib/data/mnist_like.ts";

export default defineTask({
  name: "mnist",
  description: "Prepares MNIST (local IDX files or download) at im_sz with a PIL-exact resize, as the paper did.",
  usesSeed: false,
  config: mnistLikeSchema(MNIST),
  resolveInputs: (config) => resolveMnistLikeInputs(MNIST, config),
  run: (ctx) => runMnistLike(ctx, MNIST),
});
