/**
 * Initial MCMC states (SPEC §1 step 2, §3): uniform U(−1, 1), Gaussian N(0, 1) (both times a
 * scale, the toy configs' `noise_init_factor`), rows of a data set, or a persistent bank that
 * the chains' final states are written back to. States live on the host as Float32Array so banks
 * are cheap to checkpoint and never count as live tensors.
 *
 * @example
 * ```ts ignore
 * const rng = new Random(1);
 * const bank = PersistentBank.uniform(10000, [2], rng);   // toy: s_t_0_size states
 * const { states, indices } = bank.draw(100, rng);
 * // … run Langevin on tf.tensor(states, [100, 2]) …
 * bank.write(indices, finalStates);
 * const x0 = initStates("gaussian", [100, 32, 32, 3], rng);   // a tf.Tensor
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../util/random.ts";

/** Where chains start. */
export type InitKind = "uniform" | "gaussian" | "data" | "persistent";

function rowSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Host values for `n` noise states of `rowShape`: U(−scale, scale) or N(0, scale²).
 *
 * @example
 * ```ts ignore
 * const toyStarts = noiseStates("uniform", 100, [2], rng, 2); // noise_init_factor 2
 * ```
 */
export function noiseStates(kind: "uniform" | "gaussian", n: number, rowShape: number[], rng: Random, scale = 1): Float32Array {
  const count = n * rowSize(rowShape);
  return kind === "uniform" ? rng.uniformArray(count, -scale, scale) : rng.normalArray(count, 0, scale);
}

/**
 * Copies rows `indices` of `data` (rows of `rowShape`) into one array.
 *
 * @example
 * ```ts ignore
 * const batch = gatherRows(images, [32, 32, 3], rng.indices(100, numImages));
 * ```
 */
export function gatherRows(data: Float32Array, rowShape: number[], indices: ArrayLike<number>): Float32Array {
  const d = rowSize(rowShape), rows = data.length / d;
  const out = new Float32Array(indices.length * d);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!(r >= 0 && r < rows)) throw new Error(`Cannot gather row ${r}: the data has ${rows} rows`);
    out.set(data.subarray(r * d, (r + 1) * d), i * d);
  }
  return out;
}

/**
 * Initial states as a tensor [shape[0], …]: `uniform` / `gaussian` noise times `scale`, or
 * `data` rows drawn with replacement from `options.data` (rows of shape.slice(1)).
 * For `persistent`, use {@link PersistentBank} (its draws must be written back).
 *
 * @example
 * ```ts ignore
 * const x0 = initStates("data", [100, 32, 32, 3], rng, { data: images });
 * ```
 */
export function initStates(kind: Exclude<InitKind, "persistent">, shape: number[], rng: Random, options: { scale?: number; data?: Float32Array } = {}): tf.Tensor {
  const [n, ...row] = shape;
  if (kind === "uniform" || kind === "gaussian") return tf.tensor(noiseStates(kind, n, row, rng, options.scale ?? 1), shape);
  if (kind === "data") {
    if (!options.data) throw new Error("Cannot initialise chains from 'data': no data array was given");
    const rows = options.data.length / rowSize(row);
    return tf.tensor(gatherRows(options.data, row, rng.indices(n, rows)), shape);
  }
  throw new Error(`Cannot initialise chains from '${kind}': expected uniform, gaussian or data (use PersistentBank for persistent)`);
}

/**
 * A persistent bank of chain states (host memory), as the paper's `persistent` init.
 *
 * @example
 * ```ts ignore
 * const bank = PersistentBank.uniform(60000, [32, 32, 3], rng);
 * ```
 */
export class PersistentBank {
  /** All states, row after row. */
  readonly states: Float32Array;
  readonly rowShape: number[];
  readonly size: number;

  constructor(states: Float32Array, rowShape: number[]) {
    const d = rowSize(rowShape);
    if (states.length % d !== 0 || states.length === 0) {
      throw new Error(`Cannot create a persistent bank: ${states.length} values do not divide into rows of [${rowShape}]`);
    }
    this.states = states;
    this.rowShape = [...rowShape];
    this.size = states.length / d;
  }

  /** A bank of `size` states drawn U(−scale, scale), as the paper initialises it. */
  static uniform(size: number, rowShape: number[], rng: Random, scale = 1): PersistentBank {
    return new PersistentBank(noiseStates("uniform", size, rowShape, rng, scale), rowShape);
  }

  /** `n` states at random bank positions (with replacement, as the paper's `randint`). */
  draw(n: number, rng: Random): { states: Float32Array; indices: Int32Array } {
    const indices = rng.indices(n, this.size);
    return { states: gatherRows(this.states, this.rowShape, indices), indices };
  }

  /** Writes final states back to the positions they were drawn from. */
  write(indices: ArrayLike<number>, states: Float32Array): void {
    const d = rowSize(this.rowShape);
    if (states.length !== indices.length * d) throw new Error(`Cannot write ${states.length} values back to ${indices.length} bank rows of [${this.rowShape}]`);
    for (let i = 0; i < indices.length; i++) this.states.set(states.subarray(i * d, (i + 1) * d), indices[i] * d);
  }
}
