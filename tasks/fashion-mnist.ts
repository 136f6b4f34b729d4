/**
 * Task `fashion-mnist`: Fashion-MNIST from IDX files (default: Debian's
 * `/usr/share/datasets/fashion-mnist/`, or downloaded when `local_path` is null), resized
 * PIL-exactly to `im_sz` (default 32, like the paper's MNIST) or padded; 1 channel in [-1, 1].
 * Output: `data.safetensors` (+ labels 0..9) and `metrics.json`.
 *
 * @example
 * ```yaml
 * steps:
 *   fmnist: { task: fashion-mnist, config: { split: train, im_sz: 32 } }
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { FASHION_MNIST, mnistLikeSchema, runMnistLike } from "../lib/data/mnist_like.ts";

export default defineTask({
  name: "fashion-mnist",
  description: "Prepares Fashion-MNIST (local IDX files or download) at im_sz with a PIL-exact resize.",
  usesSeed: false,
  config: mnistLikeSchema(FASHION_MNIST),
  externalInputs: (config) => (config.local_path ? [config.local_path] : []),
  run: (ctx) => runMnistLike(ctx, FASHION_MNIST),
});
