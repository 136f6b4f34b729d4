/**
 * The measuring loop shared by the native profile benches: warm-up runs of a step, then measured
 * runs with the native backend's per-kernel profile on, collected per kernel.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { profiledSteps } from "./profiled_steps.ts";
 * const kernels = profiledSteps(7, () => tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync()));
 * for (const [kernel, { calls, ms }] of kernels) console.log(kernel, calls, ms);
 * ```
 * @module
 */
import { nativeProfile } from "../lib/tensor/native/install.ts";

/** Per kernel: its calls in one step and its milliseconds in each measured step. */
export type KernelSamples = Map<string, { calls: number; ms: number[] }>;

/**
 * Runs `step` `warmup` + `reps` times. The last `reps` runs are profiled; `step(measured)` tells
 * the caller which runs count, so it can time its own phases on them.
 */
export function profiledSteps(reps: number, step: (measured: boolean) => void, warmup = 2): KernelSamples {
  const kernels: KernelSamples = new Map();
  for (let i = 0; i < warmup + reps; i++) {
    const measured = i >= warmup;
    if (measured) {
      nativeProfile.reset();
      nativeProfile.enable();
    }
    step(measured);
    nativeProfile.disable();
    if (!measured) continue;
    for (const k of nativeProfile.snapshot()) {
      const entry = kernels.get(k.kernel) ?? { calls: k.calls, ms: [] };
      entry.ms.push(k.ms);
      kernels.set(k.kernel, entry);
    }
  }
  return kernels;
}
