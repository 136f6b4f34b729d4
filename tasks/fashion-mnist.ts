/**
 * Task `fashion-mnist`: Fashion-MNIST's IDX files from the first place this machine has of those
 * config `sources` allows — `local_path`, Debian's `dataset-fashion-mnist`
 * (`/usr/share/datasets/fashion-mnist/`), the canonical download, or the embedded 10,000-image test
 * split in `data/fashion-mnist/` (split `train` = its images 0–7,999, `test` = 8,000–9,999; only
 * where `sources` lists `embedded`, as the smoke profiles do) — resized PIL-exactly to `im_sz`
 * (default 32, like the paper's MNIST) or padded; 1 channel in [-1, 1]. The source is chosen at
 * plan time (none found: the plan stops naming where it looked) and logged with the reason.
 * Output: `data.safetensors` (+ labels 0..9, metadata `source`) and `metrics.json`.
 *
 * @example
 * ```yaml
 * steps:
 *   fmnist: { task: fashion-mnist, config: { split: train, im_sz: 32 } }                    # the full dataset
 *   sample: { task: fashion-mnist, config: { split: test, im_sz: 28, sources: [embedded] } }  # offline, anywhere
 * ```
 * @module
 */
import { defineTask } from "../lib/task.ts";
import { FASHION_MNIST, mnistLikeSchema, resolveMnistLikeInputs, runMnistLike } from "../lib/data/mnist_like.ts";

export default defineTask({
  name: "fashion-mnist",
  description: "Prepares Fashion-MNIST (local, Debian's copy, download or the embedded sample) at im_sz with a PIL-exact resize.",
  usesSeed: false,
  config: mnistLikeSchema(FASHION_MNIST),
  resolveInputs: (config) => resolveMnistLikeInputs(FASHION_MNIST, config),
  run: (ctx) => runMnistLike(ctx, FASHION_MNIST),
});
