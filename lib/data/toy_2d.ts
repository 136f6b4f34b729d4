/**
 * The classic 2-D point generators of flow contrastive estimation (SPEC §5, the FCE seed's
 * `util.py`) and of VERA's toy experiments: `8gaussians`, `spiral`, `2spirals`, `checkerboard`,
 * `rings`, `pinwheel`, `moons`, `circles`, `swissroll`. Written from the seed's definitions on this
 * project's seeded {@link Random}, so a seed gives the same points on every machine (not the
 * seed's PyTorch streams).
 *
 * These are NOT the anatomy paper's toy distributions (`gmm`, `rings` of `train-toy`,
 * `lib/data/toy.ts`): the FCE `rings` are four noisy circles of radii 0.75…3, the anatomy `rings`
 * are `toy_groups` rings with a configured radius and sd. The two live apart on purpose.
 *
 * The exact log-density is known for `8gaussians` only ({@link eightGaussiansLogDensity}): modes
 * at radius 2√2 on the eight compass directions, covariance I/8, equal weights.
 *
 * @example
 * ```ts
 * import { eightGaussiansLogDensity, sampleToy2d } from "./toy_2d.ts";
 * import { Random } from "../util/random.ts";
 * const points = sampleToy2d("8gaussians", 1000, new Random(42)); // Float32Array [x0, y0, x1, y1, …]
 * const logp = eightGaussiansLogDensity(2 * Math.SQRT2, 0);          // ≈ −0.0956 (a mode)
 * ```
 * @module
 */
import type { Random } from "../util/random.ts";

/** The six datasets of the FCE seed. */
export const FCE_DATASETS = ["8gaussians", "spiral", "2spirals", "checkerboard", "rings", "pinwheel"] as const;
/** Every generator here: the FCE six plus VERA's `moons`, `circles`, `swissroll`. */
export const TOY_2D_DATASETS = [...FCE_DATASETS, "moons", "circles", "swissroll"] as const;
/** A generator name. */
export type Toy2dName = (typeof TOY_2D_DATASETS)[number];

/** Half-width of the square [−4, 4]² the seed draws its density figures on. */
export const TOY_2D_EXTENT = 4;

const TWO_PI = 2 * Math.PI;

/** The eight mode centres of `8gaussians`: 4·(unit compass direction)/√2, in the seed's order. */
export const EIGHT_GAUSSIANS_MEANS: readonly (readonly [number, number])[] = (() => {
  const s = Math.SQRT1_2;
  const unit: [number, number][] = [[1, 0], [-1, 0], [0, 1], [0, -1], [s, s], [-s, s], [s, -s], [-s, -s]];
  return unit.map(([x, y]) => [4 * x * s, 4 * y * s] as const);
})();
/** Per-coordinate variance of each `8gaussians` component: (0.5/√2)² = 1/8. */
export const EIGHT_GAUSSIANS_VAR = 1 / 8;

/**
 * Exact log-density of `8gaussians` at (x, y): log((1/8)·Σ_k N((x, y); μ_k, I/8)), computed with a
 * stable log-sum-exp (finite far out in the tails).
 */
export function eightGaussiansLogDensity(x: number, y: number): number {
  const logNorm = -Math.log(2 * Math.PI * EIGHT_GAUSSIANS_VAR) - Math.log(8);
  let max = -Infinity;
  const e = new Float64Array(8);
  for (let k = 0; k < 8; k++) {
    const [mx, my] = EIGHT_GAUSSIANS_MEANS[k];
    e[k] = -((x - mx) ** 2 + (y - my) ** 2) / (2 * EIGHT_GAUSSIANS_VAR);
    if (e[k] > max) max = e[k];
  }
  let s = 0;
  for (let k = 0; k < 8; k++) s += Math.exp(e[k] - max);
  return logNorm + max + Math.log(s);
}

/** {@link eightGaussiansLogDensity} of every point of an interleaved `[x0, y0, x1, y1, …]` array. */
export function eightGaussiansLogDensities(points: Float32Array): Float64Array {
  const out = new Float64Array(points.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = eightGaussiansLogDensity(points[2 * i], points[2 * i + 1]);
  return out;
}

/** Checks a dataset name, with an error that lists the choices. */
export function checkToy2dName(name: string, field = "dataset"): Toy2dName {
  if (!(TOY_2D_DATASETS as readonly string[]).includes(name)) {
    throw new Error(`Cannot read config '${field}': expected one of ${TOY_2D_DATASETS.join(", ")}, got ${JSON.stringify(name)}`);
  }
  return name as Toy2dName;
}

/**
 * `n` points of dataset `name` as interleaved float32 (x, y), drawn from `rng`. Definitions
 * (U = uniform [0, 1), z = standard normal):
 * - `8gaussians`: (0.5·z + 4·c)/√2, c a uniformly chosen unit compass direction;
 * - `spiral`: t = √U·3π, (−t·cos t + 0.5U, t·sin t + 0.5U)/3 + 0.1z; `2spirals`: the first ⌈n/2⌉
 *   points on that arm, the rest on its point reflection;
 * - `checkerboard`: x₁ = 4U − 2, x₂ = U − 2·Bernoulli(½) + (⌊x₁⌋ mod 2), both ×2;
 * - `rings`: circles of radii 3, 2.25, 1.5, 0.75 holding n−3⌊n/4⌋, ⌊n/4⌋, ⌊n/4⌋, ⌊n/4⌋ evenly spaced
 *   angles, resampled with replacement, plus N(0, 0.08²) noise;
 * - `pinwheel`: five arms; radial r ~ N(1, 0.3²), tangential N(0, 0.1²), rotated by 2πk/5 + 0.25·eʳ,
 *   ×2; arm k = i mod 5, points shuffled (the seed uses ⌊n/5⌋ per arm; here every point is kept);
 * - `moons`: sklearn's two half-moons (⌈n/2⌉ outer) with N(0, 0.1²) noise, ×2, shifted by (−1, −0.2);
 * - `circles`: sklearn's two circles (⌈n/2⌉ on radius 1, the rest 0.5) with N(0, 0.08²) noise, ×3;
 * - `swissroll`: t = 1.5π(1 + 2U), (t·cos t, t·sin t) + N(0, 1), ÷5.
 */
export function sampleToy2d(name: Toy2dName, n: number, rng: Random): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new Error(`Cannot read config 'n_samples': expected a positive whole number, got ${n}`);
  checkToy2dName(name);
  const out = new Float32Array(2 * n);
  const set = (i: number, x: number, y: number) => {
    out[2 * i] = x;
    out[2 * i + 1] = y;
  };
  switch (name) {
    case "8gaussians":
      for (let i = 0; i < n; i++) {
        const [cx, cy] = EIGHT_GAUSSIANS_MEANS[rng.int(8)];
        set(i, cx + 0.5 * Math.SQRT1_2 * rng.normal(), cy + 0.5 * Math.SQRT1_2 * rng.normal());
      }
      break;
    case "spiral":
    case "2spirals": {
      const firstArm = name === "spiral" ? n : Math.ceil(n / 2);
      for (let i = 0; i < n; i++) {
        const t = Math.sqrt(rng.uniform()) * 3 * Math.PI;
        let x = -Math.cos(t) * t + 0.5 * rng.uniform();
        let y = Math.sin(t) * t + 0.5 * rng.uniform();
        if (i >= firstArm) [x, y] = [-x, -y];
        set(i, x / 3 + 0.1 * rng.normal(), y / 3 + 0.1 * rng.normal());
      }
      break;
    }
    case "checkerboard":
      for (let i = 0; i < n; i++) {
        const x1 = 4 * rng.uniform() - 2;
        const x2 = rng.uniform() - 2 * rng.int(2) + (((Math.floor(x1) % 2) + 2) % 2);
        set(i, 2 * x1, 2 * x2);
      }
      break;
    case "rings": {
      const quarter = Math.floor(n / 4);
      const counts = [n - 3 * quarter, quarter, quarter, quarter];
      const radii = [3, 2.25, 1.5, 0.75];
      const ring = new Float32Array(2 * n);
      let j = 0;
      for (let r = 0; r < 4; r++) {
        for (let k = 0; k < counts[r]; k++, j++) {
          const angle = (TWO_PI * k) / counts[r];
          ring[2 * j] = radii[r] * Math.cos(angle);
          ring[2 * j + 1] = radii[r] * Math.sin(angle);
        }
      }
      for (let i = 0; i < n; i++) {
        const pick = rng.int(n);
        set(i, ring[2 * pick] + 0.08 * rng.normal(), ring[2 * pick + 1] + 0.08 * rng.normal());
      }
      break;
    }
    case "pinwheel": {
      const order = rng.permutation(n);
      for (let i = 0; i < n; i++) {
        const arm = order[i] % 5;
        const radial = 1 + 0.3 * rng.normal(), tangential = 0.1 * rng.normal();
        const angle = (TWO_PI * arm) / 5 + 0.25 * Math.exp(radial);
        const c = Math.cos(angle), s = Math.sin(angle);
        set(i, 2 * (radial * c + tangential * s), 2 * (-radial * s + tangential * c));
      }
      break;
    }
    case "moons": {
      const outer = Math.ceil(n / 2), inner = n - outer;
      for (let i = 0; i < n; i++) {
        let x: number, y: number;
        if (i < outer) {
          const a = outer > 1 ? (Math.PI * i) / (outer - 1) : 0;
          [x, y] = [Math.cos(a), Math.sin(a)];
        } else {
          const k = i - outer, a = inner > 1 ? (Math.PI * k) / (inner - 1) : 0;
          [x, y] = [1 - Math.cos(a), 1 - Math.sin(a) - 0.5];
        }
        set(i, 2 * (x + 0.1 * rng.normal()) - 1, 2 * (y + 0.1 * rng.normal()) - 0.2);
      }
      shuffleInPlace(out, rng);
      break;
    }
    case "circles": {
      const outer = Math.ceil(n / 2), inner = n - outer;
      for (let i = 0; i < n; i++) {
        const onOuter = i < outer;
        const k = onOuter ? i : i - outer, count = onOuter ? outer : inner;
        const a = (TWO_PI * k) / count, r = onOuter ? 1 : 0.5;
        set(i, 3 * (r * Math.cos(a) + 0.08 * rng.normal()), 3 * (r * Math.sin(a) + 0.08 * rng.normal()));
      }
      shuffleInPlace(out, rng);
      break;
    }
    case "swissroll":
      for (let i = 0; i < n; i++) {
        const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
        set(i, (t * Math.cos(t) + rng.normal()) / 5, (t * Math.sin(t) + rng.normal()) / 5);
      }
      break;
  }
  return out;
}

/** Shuffles the (x, y) pairs of an interleaved array in place. */
function shuffleInPlace(points: Float32Array, rng: Random): void {
  for (let i = points.length / 2 - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const x = points[2 * i], y = points[2 * i + 1];
    points[2 * i] = points[2 * j];
    points[2 * i + 1] = points[2 * j + 1];
    points[2 * j] = x;
    points[2 * j + 1] = y;
  }
}
