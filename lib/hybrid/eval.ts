/**
 * Evaluation of a joint classifier-EBM (SPEC §6): test accuracy and cross-entropy, expected
 * calibration error over equal-width confidence bins (Guo et al. 2017: bins (lo, hi], ECE =
 * Σ_b |B_b|/N · |accuracy_b − confidence_b|, confidence = max softmax probability) with its
 * reliability table, energies of the test images vs uniform noise U(−1, 1) vs short-run samples,
 * and unconditional (Langevin on E(x)) and class-conditional samples (Langevin on E(x, y), i.e.
 * `−s_y` under JEM's sign). Data only: the plot step draws it.
 *
 * @example
 * ```ts ignore
 * import { evaluateHybrid } from "./eval.ts";
 * const { result, energies, samples } = evaluateHybrid(mlp, "jem", test, options, 123);
 * console.log(result.test_accuracy, result.ece, result.energies.noise.mean);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { classEnergyFromLogits, energyFromLogits, type EnergySign, type MlpClassifier } from "../nets/mlp_classifier.ts";
import { Random } from "../util/random.ts";
import { meanSd } from "../train/diagnostics.ts";
import { hybridLangevin } from "./langevin.ts";
import type { LabelledImages } from "./train.ts";
import type { EnergyArrays, HybridEvalResult, ReliabilityBin } from "../artifacts/hybrid_eval.ts";
import type { SampleBatch } from "../artifacts/hybrid_samples.ts";

/** Sampler and size settings of an evaluation. */
export interface HybridEvalOptions {
  steps: number;
  alpha: number;
  sigma: number;
  clamp: "final" | "step";
  /** Unconditional samples. */
  unconditional: number;
  /** Class-conditional samples per class. */
  perClass: number;
  /** Uniform-noise images whose energies are measured. */
  noiseImages: number;
  /** Confidence bins of the ECE (15 by default in the pipelines). */
  bins: number;
  /** Step id of the evaluated model, recorded in eval.json. */
  modelFrom: string;
}

/**
 * Expected calibration error and reliability table of confidences and correctness.
 *
 * @example
 * ```ts
 * calibration(Float32Array.of(0.9, 0.6), Uint8Array.of(1, 0), 15).ece; // (|1−0.9| + |0−0.6|)/2 = 0.35
 * ```
 */
export function calibration(confidence: ArrayLike<number>, correct: ArrayLike<number>, bins: number): { ece: number; reliability: ReliabilityBin[] } {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`Cannot compute calibration: 'bins' must be a positive integer, got ${bins}`);
  const n = confidence.length;
  const count = new Float64Array(bins), conf = new Float64Array(bins), acc = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence[i] * bins) - 1));
    count[b]++;
    conf[b] += confidence[i];
    acc[b] += correct[i];
  }
  let ece = 0;
  const reliability: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b];
    if (c > 0) ece += (c / n) * Math.abs(acc[b] / c - conf[b] / c);
    reliability.push({ lo: b / bins, hi: (b + 1) / bins, count: c, confidence: c > 0 ? conf[b] / c : null, accuracy: c > 0 ? acc[b] / c : null });
  }
  return { ece, reliability };
}

/** Energies `E(x)` of host rows `[N, D]`, in chunks. */
export function energiesOf(mlp: MlpClassifier, sign: EnergySign, rows: Float32Array, rowSize: number, chunk = 1000): Float32Array {
  const n = rows.length / rowSize, out = new Float32Array(n);
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const e = tf.tidy(() => energyFromLogits(mlp.logits(tf.tensor2d(rows.subarray(start * rowSize, (start + m) * rowSize), [m, rowSize])), sign));
    out.set(e.dataSync() as Float32Array, start);
    e.dispose();
  }
  return out;
}

function stats(values: Float32Array): { mean: number; sd: number; count: number } {
  const { mean, sd } = meanSd(values);
  return { mean: values.length ? mean : 0, sd: values.length ? sd : 0, count: values.length };
}

/** Runs the whole evaluation; `seed` drives the noise images and the samplers. */
export function evaluateHybrid(mlp: MlpClassifier, sign: EnergySign, test: LabelledImages, o: HybridEvalOptions, seed: number): {
  result: HybridEvalResult;
  energies: EnergyArrays;
  samples: Record<string, SampleBatch>;
} {
  const [n, h, w, c] = test.shape;
  const rowSize = h * w * c, classes = mlp.size.classes;
  if (rowSize !== mlp.size.inputs) throw new Error(`Cannot evaluate: the model takes ${mlp.size.inputs} inputs but the test images are ${h}×${w}×${c}`);
  // Classification: confidence, correctness, cross-entropy.
  const confidence = new Float32Array(n), correct = new Uint8Array(n);
  const classTotal = new Float64Array(classes), classRight = new Float64Array(classes);
  let ceSum = 0;
  for (let start = 0; start < n; start += 1000) {
    const m = Math.min(1000, n - start);
    const [probs, ce] = tf.tidy(() => {
      const logits = mlp.logits(tf.tensor2d(test.images.subarray(start * rowSize, (start + m) * rowSize), [m, rowSize]));
      const y = tf.tensor1d(test.labels.subarray(start, start + m), "int32");
      const logp = tf.logSoftmax(logits);
      return [tf.exp(logp), tf.neg(tf.sum(tf.mul(logp, tf.oneHot(y, classes))))];
    });
    const p = probs.dataSync() as Float32Array;
    ceSum += ce.dataSync()[0];
    tf.dispose([probs, ce]);
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (p[i * classes + k] > p[i * classes + best]) best = k;
      const y = test.labels[start + i];
      confidence[start + i] = p[i * classes + best];
      correct[start + i] = best === y ? 1 : 0;
      classTotal[y]++;
      classRight[y] += correct[start + i];
    }
  }
  const accuracy = correct.reduce((a, b) => a + b, 0) / n;
  const { ece, reliability } = calibration(confidence, correct, o.bins);

  // Energies and samples.
  const rng = new Random(seed);
  const noise = rng.uniformArray(o.noiseImages * rowSize, -1, 1);
  const sampler = { steps: o.steps, alpha: o.alpha, sigma: o.sigma, clamp: o.clamp };
  const uncond = hybridLangevin((x) => energyFromLogits(mlp.logits(x), sign), rng.uniformArray(o.unconditional * rowSize, -1, 1), [o.unconditional, rowSize], { ...sampler, rng: rng.fork() });
  const labels = Int32Array.from({ length: classes * o.perClass }, (_, i) => Math.floor(i / o.perClass));
  const labelT = tf.tensor1d(labels, "int32");
  let cond: Float32Array;
  try {
    cond = hybridLangevin((x) => classEnergyFromLogits(mlp.logits(x), labelT, sign), rng.uniformArray(labels.length * rowSize, -1, 1), [labels.length, rowSize], { ...sampler, rng: rng.fork() }).states;
  } finally {
    labelT.dispose();
  }
  const energies: EnergyArrays = {
    test: energiesOf(mlp, sign, test.images, rowSize),
    noise: energiesOf(mlp, sign, noise, rowSize),
    samples: energiesOf(mlp, sign, uncond.states, rowSize),
  };
  const result: HybridEvalResult = {
    format: "ebm-hybrid-eval/1",
    energy_sign: sign,
    model_from: o.modelFrom,
    test_images: n,
    test_accuracy: accuracy,
    test_ce: ceSum / n,
    per_class_accuracy: Array.from(classTotal, (t, k) => (t > 0 ? classRight[k] / t : null)),
    ece,
    reliability,
    energies: { test: stats(energies.test), noise: stats(energies.noise), samples: stats(energies.samples) },
    sampler: { steps: o.steps, alpha: o.alpha, sigma: o.sigma, clamp: o.clamp, unconditional: o.unconditional, per_class: o.perClass },
  };
  return {
    result,
    energies,
    samples: {
      unconditional: { images: uncond.states, shape: [o.unconditional, h, w, c] },
      conditional: { images: cond, shape: [labels.length, h, w, c], labels },
    },
  };
}
