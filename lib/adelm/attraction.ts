/**
 * One attraction-diffusion (AD) trial (SPEC §4.3): Langevin on `U(x)/T + α·‖x − x*‖₂` from a
 * start minimum towards a target x*,
 * `x ← x − (ε²/2)·(∇U(x)/T + α·(x − x*)/‖x − x*‖) + ε·ξ`.
 * The magnetic term pulls with a constant force α·T in energy units, so a trial crosses a
 * barrier only where the slope of U along the way stays below α·T. The trial succeeds when
 * ‖x − x*‖ ≤ δ, fails after `patience` steps without a new closest distance or after `maxSteps`;
 * its barrier is the highest U seen on the path (start included). The magnetic drift of one step,
 * (ε²/2)·α, is capped at the remaining distance so that a large α cannot overshoot the target.
 *
 * @example
 * ```ts
 * import { AttractionWalker } from "./attraction.ts";
 * const trial = new AttractionWalker(start, target, params, rng);
 * await runLockstep(energy, [trial]);
 * trial.result(); // { success, barrier, steps, closest }
 * ```
 * @module
 */
import type { Random } from "../util/random.ts";
import type { Walker } from "./lockstep.ts";
import { clampInPlace } from "./search.ts";

/** Settings of attraction diffusion; see the task docs for how the defaults were chosen. */
export interface AttractionParams {
  /** AD temperature T (energy units). */
  temperature: number;
  /** Langevin step size / noise scale ε. */
  stepSize: number;
  /** Magnetisation α (per unit distance, on the U/T scale): the pull is α·T in energy units. */
  alpha: number;
  /** Success radius δ around the target. */
  delta: number;
  /** Fail after this many steps without getting closer to the target. */
  patience: number;
  /** Fail after this many steps in any case. */
  maxSteps: number;
  /** Optional box the states are clipped to after each step. */
  clamp: [number, number] | null;
}

/** Outcome of one AD trial. */
export interface AttractionResult {
  success: boolean;
  /** Highest energy on the path (an upper estimate of the barrier when `success`). */
  barrier: number;
  steps: number;
  /** Closest distance to the target reached. */
  closest: number;
}

/** One AD trial as a lockstep {@link Walker}. */
export class AttractionWalker implements Walker {
  state: Float32Array;
  done = false;
  #target: Float32Array;
  #barrier = -Infinity;
  #closest: number;
  #sinceCloser = 0;
  #steps = 0;
  #success = false;

  constructor(start: Float32Array, target: Float32Array, readonly params: AttractionParams, readonly rng: Random) {
    if (start.length !== target.length) {
      throw new Error(`Cannot start attraction diffusion: start has ${start.length} elements, target ${target.length}`);
    }
    this.state = Float32Array.from(start);
    this.#target = target;
    this.#closest = this.#distance();
  }

  #distance(): number {
    let s = 0;
    for (let i = 0; i < this.state.length; i++) {
      const d = this.state[i] - this.#target[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  observe(energy: number, grad: Float32Array): void {
    const p = this.params;
    if (!Number.isFinite(energy)) throw new Error(`Cannot continue attraction diffusion: energy became ${energy} at step ${this.#steps}`);
    if (energy > this.#barrier) this.#barrier = energy;
    const r = this.#distance();
    if (r <= p.delta) {
      this.#success = true;
      this.done = true;
      return;
    }
    if (r < this.#closest) {
      this.#closest = r;
      this.#sinceCloser = 0;
    } else if (this.#steps > 0 && ++this.#sinceCloser >= p.patience) {
      this.done = true;
      return;
    }
    if (this.#steps >= p.maxSteps) {
      this.done = true;
      return;
    }
    const half = (p.stepSize * p.stepSize) / 2, gradScale = half / p.temperature;
    // the magnetic drift is capped at the distance left: a strong α must not jump past the target
    const pull = Math.min(half * p.alpha, r) / r;
    const x = this.state, t = this.#target;
    for (let i = 0; i < x.length; i++) x[i] += -gradScale * grad[i] - pull * (x[i] - t[i]) + p.stepSize * this.rng.normal();
    if (p.clamp) clampInPlace(x, p.clamp);
    this.#steps++;
  }

  result(): AttractionResult {
    return { success: this.#success, barrier: this.#barrier, steps: this.#steps, closest: Math.min(this.#closest, this.#distance()) };
  }
}
