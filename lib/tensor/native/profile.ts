/**
 * Optional per-kernel timing for the native backend: when enabled, every kernel call adds its
 * wall time to a per-name total, so a benchmark can print where a step's time goes.
 *
 * @example
 * ```ts ignore
 * nativeProfile.enable();
 * // ... run a step ...
 * console.table(nativeProfile.snapshot());
 * nativeProfile.reset();
 * ```
 * @module
 */
import type { KernelFunc } from "@tensorflow/tfjs-core";

/** One kernel's accumulated calls and milliseconds. */
export type KernelTiming = { kernel: string; calls: number; ms: number };

/** Accumulates kernel wall times while enabled; disabled it costs one boolean test per call. */
export class KernelProfile {
  private enabled = false;
  private readonly totals = new Map<string, { calls: number; ms: number }>();

  /** Starts recording. */
  enable(): void {
    this.enabled = true;
  }

  /** Stops recording (totals are kept until `reset`). */
  disable(): void {
    this.enabled = false;
  }

  /** Clears all totals. */
  reset(): void {
    this.totals.clear();
  }

  /** Totals so far, slowest first. */
  snapshot(): KernelTiming[] {
    return [...this.totals].map(([kernel, t]) => ({ kernel, calls: t.calls, ms: t.ms })).sort((a, b) => b.ms - a.ms);
  }

  /** Wraps a kernel function so its calls are timed under `name` while enabled. */
  wrap(name: string, kernelFunc: KernelFunc): KernelFunc {
    return (args) => {
      if (!this.enabled) return kernelFunc(args);
      const start = performance.now();
      try {
        return kernelFunc(args);
      } finally {
        const entry = this.totals.get(name) ?? { calls: 0, ms: 0 };
        entry.calls += 1;
        entry.ms += performance.now() - start;
        this.totals.set(name, entry);
      }
    };
  }
}
