/**
 * The joint classifier-EBM's training objective (SPEC §6) and its gradients:
 * `L = CE(s_real, y) + w·(mean E(x_real) − mean E(x_sample))`, with `E` by the energy sign and
 * `w` the generative weight (0: cross-entropy alone, no sample pass), plus optionally
 * `λ·(mean E(x_real)² + mean E(x_sample)²)` (off by default; not in the seed). Returns every term, so the
 * training log can show them, and the batch accuracy.
 *
 * @example
 * ```ts ignore
 * import { hybridLossGrads } from "./objective.ts";
 * const r = hybridLossGrads(mlp, xReal, labels, xSample, { sign: "jem", generativeWeight: 1 });
 * optimizer.step(r.grads); tf.dispose(Object.values(r.grads));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { crossEntropy } from "../train/classifier_epochs.ts";
import { energyFromLogits, type EnergySign, type MlpClassifier } from "../nets/mlp_classifier.ts";

/** The loss terms of one batch (all means over the batch). */
export interface HybridTerms {
  /** The total loss that was differentiated. */
  loss: number;
  /** Cross-entropy of the real batch. */
  ce: number;
  /** `mean E(x_real) − mean E(x_sample)` (unweighted); 0 without samples. */
  gen: number;
  energy_real: number;
  /** Mean energy of the samples; null without samples. */
  energy_sample: number | null;
  /** Fraction of the real batch classified correctly. */
  accuracy: number;
}

/** Options of {@link hybridLossGrads}. */
export interface HybridLossOptions {
  sign: EnergySign;
  generativeWeight: number;
  /**
   * Weight of the energy-magnitude penalty `mean E(x_real)² + mean E(x_sample)²` (Du & Mordatch
   * 2019); 0 (default) is the seed's loss. Applies only with samples.
   */
  energyL2?: number;
}

/**
 * The loss, its terms and the gradient of every parameter (keyed by state_dict key; the caller
 * disposes them). `xSample` may be null only when the generative weight is 0.
 */
export function hybridLossGrads(mlp: MlpClassifier, xReal: tf.Tensor2D, labels: tf.Tensor1D, xSample: tf.Tensor2D | null, o: HybridLossOptions): HybridTerms & { grads: Record<string, tf.Tensor> } {
  const generative = o.generativeWeight > 0;
  if (generative && !xSample) throw new Error("Cannot compute the hybrid loss: a generative weight above 0 needs samples");
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    kept.push(tf.keep(t));
    return t;
  };
  let parts: { ce: tf.Scalar; eReal: tf.Scalar; eSample: tf.Scalar | null; correct: tf.Scalar } | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const logits = mlp.logits(xReal);
    const ce = keep(crossEntropy(logits, labels));
    const eReal = keep(tf.mean(energyFromLogits(logits, o.sign)) as tf.Scalar);
    const correct = keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, "int32")), "float32")) as tf.Scalar);
    let loss: tf.Scalar = ce;
    let eSample: tf.Scalar | null = null;
    if (xSample) {
      const sampleEnergies = energyFromLogits(mlp.logits(xSample), o.sign);
      eSample = keep(tf.mean(sampleEnergies) as tf.Scalar);
      if (generative) loss = tf.add(ce, tf.mul(tf.sub(eReal, eSample), o.generativeWeight)) as tf.Scalar;
      const l2 = o.energyL2 ?? 0;
      if (generative && l2 > 0) {
        const realEnergies = energyFromLogits(logits, o.sign);
        loss = tf.add(loss, tf.mul(tf.add(tf.mean(tf.square(realEnergies)), tf.mean(tf.square(sampleEnergies))), l2)) as tf.Scalar;
      }
    }
    parts = { ce, eReal, eSample, correct };
    return loss;
  }, mlp.variables());
  const out: Record<string, tf.Tensor> = {};
  for (const p of mlp.params) {
    const g = grads[p.variable.name];
    if (g !== undefined) out[p.key] = g;
  }
  const p = parts as unknown as { ce: tf.Scalar; eReal: tf.Scalar; eSample: tf.Scalar | null; correct: tf.Scalar };
  const read = (t: tf.Scalar) => t.dataSync()[0];
  const energyReal = read(p.eReal), energySample = p.eSample ? read(p.eSample) : null;
  const terms: HybridTerms = {
    loss: read(value),
    ce: read(p.ce),
    gen: energySample === null ? 0 : energyReal - energySample,
    energy_real: energyReal,
    energy_sample: energySample,
    accuracy: read(p.correct),
  };
  tf.dispose([value, ...kept]);
  return { ...terms, grads: out };
}
