/**
 * One attraction-diffusion (AD) trial (SPEC §4.3): a chain on `H(x) = U(x)/T + α·‖x − x*‖₂` from a
 * start minimum towards a target x*, moved by the Langevin proposal
 * `x' = x − (ε²/2)·(∇U(x)/T + α·(x − x*)/‖x − x*‖) + ε·ξ`,
 * either taken as is (`sampler: "langevin"`, unadjusted) or accepted with the Metropolis–Hastings
 * probability `min(1, exp(H(x) − H(x') + (‖x' − m(x)‖² − ‖x − m(x')‖²)/(2ε²)))`, m being the
 * proposal's mean (`sampler: "mh"`), which makes exp(−H) the chain's exact stationary law at any ε.
 * The magnetic term pulls with a constant force α·T in energy units, so a trial crosses a
 * barrier only where the slope of U along the way stays below α·T. The trial succeeds when
 * ‖x − x*‖ ≤ δ, fails after `patience` steps without a new closest distance or after `maxSteps`;
 * its barrier is the highest U on the path (start included; with MH, of the accepted states).
 * The magnetic drift of one step, (ε²/2)·α, is capped at the remaining distance so that a large
 * α cannot overshoot the target. With MH a proposal coordinate that leaves the `clamp` box is
 * reflected back in at the wall (clipping would break the proposal density, and rejecting every
 * proposal that leaves would stall chains whose pixels sit at ±1); the test then uses the
 * reflected proposal's exact density, the sum over a coordinate's mirror images. A proposal that
 * would need a second reflection is rejected, which keeps the test exact.
 *
 * @example
 * ```ts ignore
 * import { AttractionWalker } from "./attraction.ts";
 * const trial = new AttractionWalker(start, target, params, rng);
 * await runLockstep(energy, [trial]);
 * trial.result(); // { success, barrier, steps, closest, acceptRate }
 * ```
 * @module
 */
import type { Random } from "../util/random.ts";
import type { Walker } from "./lockstep.ts";
import { clampInPlace } from "./search.ts";
import { distance } from "./energy.ts";

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
  /** Optional box the states stay in: clipped after each Langevin step; with MH, proposals are reflected at its walls. */
  clamp: [number, number] | null;
  /** Unadjusted Langevin (the default) or Langevin proposals with a Metropolis–Hastings test. */
  sampler?: "langevin" | "mh";
}

/** Outcome of one AD trial. */
export interface AttractionResult {
  success: boolean;
  /** Highest energy on the path (an upper estimate of the barrier when `success`). */
  barrier: number;
  steps: number;
  /** Closest distance to the target reached. */
  closest: number;
  /** With MH: the fraction of proposals accepted; null for unadjusted Langevin. */
  acceptRate: number | null;
}

/** MH only: the chain's current state, U and ∇U there, whether `state` is a proposal awaiting its test, and counts. */
interface MhChain {
  current: Float32Array;
  energy: number;
  grad: Float32Array;
  pending: boolean;
  proposals: number;
  accepted: number;
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
  #mh: MhChain | null;

  constructor(start: Float32Array, target: Float32Array, readonly params: AttractionParams, readonly rng: Random) {
    if (start.length !== target.length) {
      throw new Error(`Cannot start attraction diffusion: start has ${start.length} elements, target ${target.length}`);
    }
    this.state = Float32Array.from(start);
    this.#target = target;
    this.#closest = distance(this.state, target);
    this.#mh = params.sampler === "mh"
      ? { current: Float32Array.from(start), energy: NaN, grad: new Float32Array(start.length), pending: false, proposals: 0, accepted: 0 }
      : null;
  }

  /**
   * The chain's position: with MH the last accepted state (`state` may hold a proposal awaiting
   * its test), otherwise `state`. A view, valid until the next `observe`.
   */
  get position(): Float32Array {
    return this.#mh?.current ?? this.state;
  }

  observe(energy: number, grad: Float32Array): void {
    if (!Number.isFinite(energy)) throw new Error(`Cannot continue attraction diffusion: energy became ${energy} at step ${this.#steps}`);
    if (this.#mh) this.#observeMh(this.#mh, energy, grad);
    else this.#observeLangevin(energy, grad);
  }

  #observeLangevin(energy: number, grad: Float32Array): void {
    const p = this.params;
    const r = this.#record(energy, this.state);
    if (r === null) return;
    const { gradScale, pull } = driftCoefficients(p, r);
    const x = this.state, t = this.#target;
    for (let i = 0; i < x.length; i++) x[i] += -gradScale * grad[i] - pull * (x[i] - t[i]) + p.stepSize * this.rng.normal();
    if (p.clamp) clampInPlace(x, p.clamp);
    this.#steps++;
  }

  #observeMh(mh: MhChain, energy: number, grad: Float32Array): void {
    const p = this.params;
    if (mh.pending) {
      // `state` is the proposal x' and (energy, grad) are U and ∇U there; mh.current is x.
      const forward = logProposal(this.state, mh.current, mh.grad, this.#target, p);
      const backward = logProposal(mh.current, this.state, grad, this.#target, p);
      const logAccept = this.#h(mh.energy, mh.current) - this.#h(energy, this.state) + backward - forward;
      mh.proposals++;
      if (Math.log(this.rng.uniform()) < logAccept) {
        mh.accepted++;
        mh.current.set(this.state);
        mh.energy = energy;
        mh.grad.set(grad);
      }
      mh.pending = false;
    } else {
      mh.energy = energy;
      mh.grad.set(grad);
    }
    for (;;) {
      if (this.#record(mh.energy, mh.current) === null) return;
      const x = this.state, c = mh.current, t = this.#target;
      const { gradScale, pull } = driftCoefficients(p, distance(c, t));
      for (let i = 0; i < x.length; i++) x[i] = c[i] - gradScale * mh.grad[i] - pull * (c[i] - t[i]) + p.stepSize * this.rng.normal();
      this.#steps++;
      if (!p.clamp || reflectInto(x, p.clamp)) {
        mh.pending = true;
        return;
      }
      // a coordinate would need a second reflection: rejected without evaluating U (no uniform drawn)
      mh.proposals++;
      x.set(c);
    }
  }

  /** H = U/T + α·‖x − x*‖, the AD target's negative log density. */
  #h(energy: number, x: Float32Array): number {
    return energy / this.params.temperature + this.params.alpha * distance(x, this.#target);
  }

  /**
   * Books the chain's state at the start of a step (U = `energy` at `x`): the barrier, success,
   * patience and the step cap. Returns the distance to the target, or null when the trial ended.
   */
  #record(energy: number, x: Float32Array): number | null {
    const p = this.params;
    if (energy > this.#barrier) this.#barrier = energy;
    const r = distance(x, this.#target);
    if (r <= p.delta) {
      this.#success = true;
      this.done = true;
      return null;
    }
    if (r < this.#closest) {
      this.#closest = r;
      this.#sinceCloser = 0;
    } else if (this.#steps > 0 && ++this.#sinceCloser >= p.patience) {
      this.done = true;
      return null;
    }
    if (this.#steps >= p.maxSteps) {
      this.done = true;
      return null;
    }
    return r;
  }

  result(): AttractionResult {
    const at = this.position, mh = this.#mh;
    return {
      success: this.#success,
      barrier: this.#barrier,
      steps: this.#steps,
      closest: Math.min(this.#closest, distance(at, this.#target)),
      acceptRate: mh ? (mh.proposals > 0 ? mh.accepted / mh.proposals : 0) : null,
    };
  }
}

/**
 * The Langevin proposal's drift at distance r from the target: the mean is
 * x − gradScale·∇U(x) − pull·(x − x*). The magnetic drift (ε²/2)·α is capped at the distance
 * left, so that a strong α cannot jump past the target.
 */
function driftCoefficients(p: AttractionParams, r: number): { gradScale: number; pull: number } {
  const half = (p.stepSize * p.stepSize) / 2;
  return { gradScale: half / p.temperature, pull: r > 0 ? Math.min(half * p.alpha, r) / r : 0 };
}

/** Reflects each coordinate outside [lo, hi] once at the wall it crossed; false if one is still outside. */
function reflectInto(x: Float32Array, [lo, hi]: [number, number]): boolean {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v > hi) x[i] = 2 * hi - v;
    else if (v < lo) x[i] = 2 * lo - v;
    if (!(x[i] >= lo && x[i] <= hi)) return false;
  }
  return true;
}

/**
 * log q(to | from) up to a constant that cancels in the MH ratio: the Gaussian Langevin proposal
 * from `from` (∇U(from) = `grad`; mean m(from), variance ε²), reflected once at the walls of the
 * clamp box if any, whose density at a coordinate is the sum over its mirror images in both walls.
 */
function logProposal(to: Float32Array, from: Float32Array, grad: Float32Array, target: Float32Array, p: AttractionParams): number {
  const { gradScale, pull } = driftCoefficients(p, distance(from, target)), twoVar = 2 * p.stepSize * p.stepSize;
  let s = 0;
  if (!p.clamp) {
    for (let i = 0; i < to.length; i++) {
      const d = to[i] - (from[i] - gradScale * grad[i] - pull * (from[i] - target[i]));
      s += d * d;
    }
    return -s / twoVar;
  }
  const [lo, hi] = p.clamp;
  for (let i = 0; i < to.length; i++) {
    const m = from[i] - gradScale * grad[i] - pull * (from[i] - target[i]);
    const a = -((to[i] - m) ** 2) / twoVar, b = -((2 * hi - to[i] - m) ** 2) / twoVar, c = -((2 * lo - to[i] - m) ** 2) / twoVar;
    const top = Math.max(a, b, c);
    s += top + Math.log(Math.exp(a - top) + Math.exp(b - top) + Math.exp(c - top));
  }
  return s;
}
