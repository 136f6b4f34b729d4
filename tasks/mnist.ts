/**
 * Task `mnist`: MNIST from IDX files in `local_path`, or downloaded (resumable, MD5-verified) from
 * torchvision's mirror when `local_path` is null; resized PIL-exactly 28 → `im_sz` (the paper's
 * `Resize(32)`) or padded; 1 channel in [-1, 1]. Output: `data.safetensors` (+ labels) and `metrics.json`.
 *
 * @example
 * ```yaml
 * steps:
 *   mnist: { task: mnist, config: { local_path: /data/mnist } }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { MNIST, mnistLikeSchema, runMnistLike } from "../lib/data/mnist_like.ts";

export default defineTask({
  name: "mnist",
  description: "Prepares MNIST (local IDX files or download) at im_sz with a PIL-exact resize, as the paper did.",
  usesSeed: false,
  config: mnistLikeSchema(MNIST),
  externalInputs: (config) => (config.local_path ? [config.local_path] : []),
  run: (ctx) => runMnistLike(ctx, MNIST),
});
