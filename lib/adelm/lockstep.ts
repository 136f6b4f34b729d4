/**
 * Runs many independent Markov chains ("walkers") against one {@link Energy}, evaluating all
 * still-active walkers in batches of at most `maxBatch` states per call. Because each walker owns
 * its state and random stream and the energy's rows are independent, the outcome of every walker
 * is the same whatever the batch size — batch size 1 is the single-thread reference.
 *
 * @example
 * ```ts
 * import { runLockstep } from "./lockstep.ts";
 * await runLockstep(energy, walkers, { maxBatch: 64 });
 * ```
 * @module
 */
import type { Energy } from "./energy.ts";

/** One chain: it reads the energy and gradient at its current state, then moves or stops. */
export interface Walker {
  /** Current state (length `energy.dim`); may be replaced or updated in place by `observe`. */
  readonly state: Float32Array;
  /** True once the walker has finished; it is no longer evaluated. */
  readonly done: boolean;
  /** Called with U(state) and ∇U(state) (a view valid only during the call). */
  observe(energy: number, grad: Float32Array): void;
}

/** Options of {@link runLockstep}. */
export interface LockstepOptions {
  /** Largest number of states per energy call (default: all walkers at once). */
  maxBatch?: number;
  signal?: AbortSignal;
}

/** Steps all walkers until every one is done. */
export async function runLockstep(energy: Energy, walkers: Walker[], options: LockstepOptions = {}): Promise<void> {
  const dim = energy.dim;
  const maxBatch = Math.max(1, options.maxBatch ?? walkers.length);
  for (const w of walkers) {
    if (w.state.length !== dim) throw new Error(`Cannot run chains: a state has ${w.state.length} elements, the energy expects ${dim}`);
  }
  let active = walkers.filter((w) => !w.done);
  const buffer = new Float32Array(Math.min(maxBatch, Math.max(1, active.length)) * dim);
  while (active.length > 0) {
    options.signal?.throwIfAborted();
    for (let start = 0; start < active.length; start += maxBatch) {
      const group = active.slice(start, start + maxBatch);
      const x = group.length * dim === buffer.length ? buffer : buffer.subarray(0, group.length * dim);
      group.forEach((w, i) => x.set(w.state, i * dim));
      const { energy: u, grad } = await energy.energyAndGrad(x, group.length);
      group.forEach((w, i) => w.observe(u[i], grad.subarray(i * dim, (i + 1) * dim)));
    }
    active = active.filter((w) => !w.done);
  }
}
