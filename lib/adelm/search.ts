/**
 * Metastable-state search (SPEC §4.1): unadjusted Langevin at a search temperature T_s,
 * `x ← x − (ε²/2)·∇U(x)/T_s + ε·ξ`, keeping the lowest-energy state seen. A chain stops when its
 * best energy has not improved for `patience` steps, or after `maxSteps`.
 *
 * @example
 * ```ts ignore
 * import { SearchWalker } from "./search.ts";
 * import { runLockstep } from "./lockstep.ts";
 * const walker = new SearchWalker(init, params, rng);
 * await runLockstep(energy, [walker]);
 * walker.result(); // { minimum, energy, steps, trace }
 * ```
 * @module
 */
import type { Random } from "../util/random.ts";
import type { Walker } from "./lockstep.ts";

/** Langevin settings of the search; see the task docs for how defaults were chosen. */
export interface SearchParams {
  /** Search temperature T_s (energy units). */
  temperature: number;
  /** Langevin step size / noise scale ε. */
  stepSize: number;
  /** Stop after this many steps without a new lowest energy. */
  patience: number;
  /** Hard cap on steps. */
  maxSteps: number;
  /** Keep every `traceEvery`-th energy in the trace (1 = every step). */
  traceEvery: number;
  /** Optional box the states are clipped to after each step (e.g. [-1, 1] for images). */
  clamp: [number, number] | null;
}

/** What one search chain found. */
export interface SearchResult {
  minimum: Float32Array;
  energy: number;
  /** Langevin steps taken. */
  steps: number;
  /** The energy at steps 0, traceEvery, 2·traceEvery, … */
  trace: number[];
}

/** One metastable-search chain as a lockstep {@link Walker}. */
export class SearchWalker implements Walker {
  state: Float32Array;
  done = false;
  #best: Float32Array;
  #bestEnergy = Infinity;
  #sinceBest = 0;
  #steps = 0;
  #trace: number[] = [];

  constructor(init: Float32Array, readonly params: SearchParams, readonly rng: Random) {
    this.state = Float32Array.from(init);
    this.#best = Float32Array.from(init);
  }

  observe(energy: number, grad: Float32Array): void {
    const p = this.params;
    if (!Number.isFinite(energy)) throw new Error(`Cannot continue the metastable search: energy became ${energy} at step ${this.#steps}`);
    if (this.#steps % p.traceEvery === 0) this.#trace.push(energy);
    if (energy < this.#bestEnergy) {
      this.#bestEnergy = energy;
      this.#best.set(this.state);
      this.#sinceBest = 0;
    } else if (++this.#sinceBest >= p.patience) {
      this.done = true;
      return;
    }
    if (this.#steps >= p.maxSteps) {
      this.done = true;
      return;
    }
    const drift = (p.stepSize * p.stepSize) / (2 * p.temperature), x = this.state;
    for (let i = 0; i < x.length; i++) x[i] += -drift * grad[i] + p.stepSize * this.rng.normal();
    if (p.clamp) clampInPlace(x, p.clamp);
    this.#steps++;
  }

  result(): SearchResult {
    return { minimum: this.#best, energy: this.#bestEnergy, steps: this.#steps, trace: this.#trace };
  }
}

/** Clips every element of `x` into `[lo, hi]`. */
export function clampInPlace(x: Float32Array, [lo, hi]: [number, number]): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
}
