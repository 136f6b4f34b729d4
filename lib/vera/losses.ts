/**
 * VERA's EBM loss (SPEC §7, the seed's `e_loss + clf_weight·c_loss`), with f the model's
 * log-density (up to a constant; for an energy network f = −E, for a joint classifier
 * f = LogSumExp(logits)):
 *
 * `−mean(f(x_d) − f(x_g)) + p_control·mean f(x_d)² + n_control·mean f(x_g)²
 *  + pg_control·mean(‖∇ₓ f(x_d)‖²/2) + clf_ent_weight·mean H(p(y|x_unlabelled)) + clf_weight·CE(labelled)`.
 *
 * Terms whose weight is 0 are not computed (the gradient penalty costs a double backward).
 *
 * @example
 * ```ts ignore
 * import { veraEbmLoss } from "./losses.ts";
 * const { value, grads } = tf.variableGrads(() => veraEbmLoss(model, { xData, xGen }, knobs).loss, vars);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { VeraKnobs } from "./config.ts";

/** A log-density model: f(x) per row, and logits when it is a joint classifier. */
export interface LogDensityModel {
  /** log p(x) up to a constant, [N]. */
  logp(x: tf.Tensor): tf.Tensor1D;
  /** Class logits [N, C] (joint classifiers only). */
  logits?(x: tf.Tensor): tf.Tensor2D;
}

/** The batches one EBM step sees. */
export interface EbmBatches {
  /** Data x_d (all of it counts as unlabelled for `clf_ent_weight`). */
  xData: tf.Tensor;
  /** Generator samples x_g (treated as constants). */
  xGen: tf.Tensor;
  /** Labelled inputs and their labels (for `clf_weight`); absent for unsupervised EBMs. */
  xLabelled?: tf.Tensor;
  labels?: tf.Tensor1D;
}

/** The loss knobs. */
export type EbmLossKnobs = Pick<VeraKnobs, "p_control" | "n_control" | "pg_control" | "clf_weight" | "clf_ent_weight">;

/** Loss and its logged parts (scalars, owned by the caller when returned outside a tidy). */
export interface EbmLossParts {
  loss: tf.Scalar;
  /** mean f(x_d) − mean f(x_g) (the seed's `logp_obj`). */
  logpObj: tf.Scalar;
  /** mean f(x_d). */
  logpData: tf.Scalar;
  /** Cross-entropy on the labelled batch (0 without one). */
  ce: tf.Scalar;
  /** Training accuracy on the labelled batch (0 without one). */
  accuracy: tf.Scalar;
}

/** mean over rows of the categorical entropy of softmax(logits). */
export function predictionEntropy(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1))) as tf.Scalar;
  });
}

/** Mean cross-entropy of integer labels under softmax(logits) (torch's CrossEntropyLoss). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.cast(labels, "int32"), logits.shape[1])), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/** The VERA EBM loss; call inside `tf.variableGrads` to step the model. */
export function veraEbmLoss(model: LogDensityModel, b: EbmBatches, k: EbmLossKnobs): EbmLossParts {
  const needsClf = k.clf_weight > 0 && b.xLabelled !== undefined && b.labels !== undefined;
  if ((needsClf || k.clf_ent_weight > 0) && !model.logits) throw new Error("Cannot compute the VERA loss: clf_weight/clf_ent_weight need a joint classifier (a model with logits)");
  const xg = b.xGen;
  let ld: tf.Tensor1D, gradSq: tf.Tensor1D | null = null;
  if (k.pg_control > 0) {
    // ∇ₓ f(x_d) as a differentiable tensor: its square enters the loss (a double backward).
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.sum(model.logp(x)) as tf.Scalar)(b.xData);
    ld = model.logp(b.xData);
    value.dispose();
    gradSq = tf.sum(tf.square(tf.reshape(grad, [grad.shape[0], -1])), 1) as tf.Tensor1D;
  } else {
    ld = model.logp(b.xData);
  }
  const lg = model.logp(xg);
  const logpData = tf.mean(ld) as tf.Scalar;
  const logpObj = tf.sub(logpData, tf.mean(lg)) as tf.Scalar;
  let loss = tf.neg(logpObj) as tf.Scalar;
  if (k.p_control > 0) loss = tf.add(loss, tf.mul(tf.mean(tf.square(ld)), k.p_control));
  if (k.n_control > 0) loss = tf.add(loss, tf.mul(tf.mean(tf.square(lg)), k.n_control));
  if (gradSq) loss = tf.add(loss, tf.mul(tf.mean(tf.div(gradSq, 2)), k.pg_control));
  if (k.clf_ent_weight > 0) loss = tf.add(loss, tf.mul(predictionEntropy(model.logits!(b.xData)), k.clf_ent_weight));
  let ce = tf.scalar(0), accuracy = tf.scalar(0);
  if (needsClf) {
    const logits = model.logits!(b.xLabelled!);
    ce = crossEntropy(logits, b.labels!);
    accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(b.labels!, "int32")), "float32")) as tf.Scalar;
    loss = tf.add(loss, tf.mul(ce, k.clf_weight));
  }
  return { loss, logpObj, logpData, ce, accuracy };
}
