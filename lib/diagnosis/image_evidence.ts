/**
 * The measurements behind the image sampling verdict (`imageSamplingVerdict` in `rules.ts`):
 * energies of reference data images and of the long-run chains' final states under the trained
 * network, the fraction of saturated pixels of each, and the mean L2 distance to the nearest
 * reference training image of the long-run states and of held-out data images.
 *
 * Reference and held-out images are evenly spaced through the dataset (no randomness): up to
 * `n_reference` each, disjoint; with fewer than 2·n_reference images the dataset is split in two.
 *
 * @example
 * ```ts ignore
 * import { measureLongrun } from "./image_evidence.ts";
 * const m = measureLongrun(net, dataset, finalStates, thresholds);
 * console.log(m.longrunSaturated, m.dataSaturated);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EnergyNet } from "../nets/net.ts";
import type { ImageDataset } from "../data/dataset_file.ts";
import type { DiagnosisThresholds, LongrunMeasurements } from "./rules.ts";

const BATCH = 100;

/** Energies f(x) of `n` images of `rowSize` values each, in batches. */
function energies(net: EnergyNet, images: Float32Array, n: number, shape: number[]): Float64Array {
  const rowSize = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += BATCH) {
    const m = Math.min(BATCH, n - i);
    const e = tf.tidy(() => net.energy(tf.tensor(images.subarray(i * rowSize, (i + m) * rowSize), [m, ...shape])).dataSync());
    for (let k = 0; k < m; k++) out[i + k] = e[k];
  }
  return out;
}

function gather(images: Float32Array, rowSize: number, indices: number[]): Float32Array {
  const out = new Float32Array(indices.length * rowSize);
  indices.forEach((idx, k) => out.set(images.subarray(idx * rowSize, (idx + 1) * rowSize), k * rowSize));
  return out;
}

function saturated(x: Float32Array, level: number): number {
  let count = 0;
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) >= level) count++;
  return x.length ? count / x.length : 0;
}

/** Mean over the rows of `queries` of the L2 distance to the nearest row of `reference`. */
export function meanNearestDistance(queries: Float32Array, reference: Float32Array, rowSize: number): number {
  const nq = queries.length / rowSize, nr = reference.length / rowSize;
  let total = 0;
  for (let q = 0; q < nq; q++) {
    let best = Infinity;
    const qo = q * rowSize;
    for (let r = 0; r < nr; r++) {
      const ro = r * rowSize;
      let s = 0;
      for (let k = 0; k < rowSize && s < best; k++) {
        const d = queries[qo + k] - reference[ro + k];
        s += d * d;
      }
      if (s < best) best = s;
    }
    total += Math.sqrt(best);
  }
  return nq ? total / nq : NaN;
}

/** Evenly spaced, disjoint reference and held-out index sets of up to `n` images each. */
export function splitIndices(count: number, n: number): { reference: number[]; heldOut: number[] } {
  const each = Math.min(n, Math.floor(count / 2));
  if (each < 1) throw new Error(`Cannot compare long-run samples with the data: the dataset has ${count} image(s), at least 2 are needed`);
  const step = count / (2 * each);
  const reference: number[] = [], heldOut: number[] = [];
  for (let i = 0; i < each; i++) {
    reference.push(Math.floor(2 * i * step));
    heldOut.push(Math.floor((2 * i + 1) * step));
  }
  return { reference, heldOut };
}

/** Measures the long-run final states (`[N, H, W, C]` flattened) against the dataset. */
export function measureLongrun(net: EnergyNet, dataset: ImageDataset, states: Float32Array, t: DiagnosisThresholds): LongrunMeasurements {
  const [count, h, w, c] = dataset.shape;
  const rowSize = h * w * c;
  if (states.length % rowSize !== 0) throw new Error(`Cannot compare long-run samples with the data: states of ${states.length} values are not ${h}×${w}×${c} images`);
  const { reference, heldOut } = splitIndices(count, t.n_reference);
  const ref = gather(dataset.images, rowSize, reference), held = gather(dataset.images, rowSize, heldOut);
  const nStates = states.length / rowSize;
  const dataE = energies(net, ref, reference.length, [h, w, c]);
  const runE = energies(net, states, nStates, [h, w, c]);
  const meanOf = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / x.length;
  const dataMean = meanOf(dataE);
  const dataSd = Math.sqrt(dataE.reduce((a, b) => a + (b - dataMean) ** 2, 0) / Math.max(1, dataE.length - 1));
  return {
    dataEnergyMean: dataMean,
    dataEnergySd: dataSd,
    longrunEnergyMean: meanOf(runE),
    longrunSaturated: saturated(states, t.saturation_level),
    dataSaturated: saturated(ref, t.saturation_level),
    longrunNearest: meanNearestDistance(states, ref, rowSize),
    dataNearest: meanNearestDistance(held, ref, rowSize),
  };
}
