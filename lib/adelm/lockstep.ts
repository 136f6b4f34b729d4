/**
 * Runs many independent Markov chains ("walkers") against one {@link Energy}, evaluating up to
 * `maxBatch` active walkers per energy call. Walkers come from a pull function, and a finished
 * walker's slot is refilled at once, so batches stay full while chains of very different lengths
 * finish at different times (and a pool worker can pull its next job from a shared board). Each
 * walker owns its state and random stream and the energy's rows are independent, so the outcome
 * of every walker is the same whatever the batch size — batch size 1 is the single-thread
 * reference.
 *
 * @example
 * ```ts ignore
 * import { runLockstep, runWalkerStream } from "./lockstep.ts";
 * await runLockstep(energy, walkers, { maxBatch: 64 });
 * let next = 0;
 * await runWalkerStream(energy, () => (next < jobs.length ? makeWalker(jobs[next++]) : null), { maxBatch: 16 });
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

/** Anything that can stop a run between energy calls (an `AbortSignal`, a job board). */
export interface StopCheck {
  throwIfAborted(): void;
}

/** Options of {@link runLockstep}. */
export interface LockstepOptions {
  /** Largest number of states per energy call (default: all walkers at once). */
  maxBatch?: number;
  signal?: StopCheck;
}

/** Steps all walkers until every one is done. */
export function runLockstep(energy: Energy, walkers: Walker[], options: LockstepOptions = {}): Promise<void> {
  let next = 0;
  const pull = () => (next < walkers.length ? walkers[next++] : null);
  return runWalkerStream(energy, pull, { maxBatch: options.maxBatch ?? Math.max(1, walkers.length), signal: options.signal });
}

/** Options of {@link runWalkerStream}. */
export interface WalkerStreamOptions {
  /** Largest number of states per energy call (≥ 1). */
  maxBatch: number;
  signal?: StopCheck;
  /** Called once for each walker as it finishes (for progress). */
  onFinished?: (walker: Walker) => void;
}

/** Steps walkers pulled from `next` (null = no more), keeping up to `maxBatch` in flight, until all are done. */
export async function runWalkerStream(energy: Energy, next: () => Walker | null, options: WalkerStreamOptions): Promise<void> {
  const dim = energy.dim, maxBatch = options.maxBatch;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`Cannot run chains: 'max_batch' must be a positive whole number, got ${maxBatch}`);
  let active: Walker[] = [];
  let exhausted = false, buffer = new Float32Array(0);
  for (;;) {
    options.signal?.throwIfAborted();
    while (!exhausted && active.length < maxBatch) {
      const w = next();
      if (w === null) exhausted = true;
      else if (w.state.length !== dim) throw new Error(`Cannot run chains: a state has ${w.state.length} elements, the energy expects ${dim}`);
      else if (!w.done) active.push(w);
      else options.onFinished?.(w);
    }
    if (active.length === 0) return;
    const n = active.length;
    if (buffer.length < n * dim) buffer = new Float32Array(n * dim);
    const x = buffer.length === n * dim ? buffer : buffer.subarray(0, n * dim);
    for (let i = 0; i < n; i++) x.set(active[i].state, i * dim);
    const { energy: u, grad } = await energy.energyAndGrad(x, n);
    for (let i = 0; i < n; i++) active[i].observe(u[i], grad.subarray(i * dim, (i + 1) * dim));
    active = active.filter((w) => {
      if (w.done) options.onFinished?.(w);
      return !w.done;
    });
  }
}

/** A walker that reports a result when done. */
export type ResultWalker<R> = Walker & { result(): R };

/** What a run of claimed jobs returns: the job indices it ran and their results, in the same order. */
export interface ClaimedResults<R> {
  indices: number[];
  results: R[];
}

/**
 * Runs the jobs `claim` hands out (an index, or -1 when none is left), `maxBatch` walkers in
 * flight; `make(i)` builds job i's walker.
 */
export async function runClaimedJobs<R>(
  energy: Energy,
  claim: () => number,
  make: (index: number) => ResultWalker<R>,
  options: { maxBatch: number; signal?: StopCheck; onFinished?: () => void },
): Promise<ClaimedResults<R>> {
  const indices: number[] = [], walkers: ResultWalker<R>[] = [];
  await runWalkerStream(energy, () => {
    const index = claim();
    if (index < 0) return null;
    const w = make(index);
    indices.push(index);
    walkers.push(w);
    return w;
  }, { maxBatch: options.maxBatch, signal: options.signal, onFinished: options.onFinished });
  return { indices, results: walkers.map((w) => w.result()) };
}
