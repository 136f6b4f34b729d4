/**
 * The energy network and its optimiser as one trainable unit: the paper's loss
 * d_t = mean f(x+) − mean f(x−) (× 2/ε² when ε > 0) and one optimiser step on it, checkpoint
 * tensors (`net.<torch key>`, `optim.<buffer>/<torch key>`, `optim.step`) and weight checks.
 * Shared by the image and toy training problems.
 *
 * @example
 * ```ts ignore
 * import { NetAndOptimizer } from "./model.ts";
 * const model = new NetAndOptimizer(createNet("toy", {}, 123), "sgd");
 * const d_t = model.step(pos, neg, 0.125, 7.8e-4);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EnergyNet, StateDict } from "../nets/net.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { createOptimizer, type Optimizer } from "../ebm/optim.ts";
import { paramGrads } from "../ebm/grads.ts";
import { fusedMlGrads } from "../ebm/fused_dense.ts";
import { firstNonFiniteParam } from "../nets/ops.ts";

/** Weights (PyTorch layout, keys prefixed `net.`) as named tensors. */
export function stateDictTensors(sd: StateDict, prefix = "net."): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(sd)) out[prefix + k] = { dtype: "F32", shape: v.shape, data: v.data };
  return out;
}

/** Inverse of {@link stateDictTensors}. */
export function tensorsToStateDict(tensors: Record<string, NamedTensor>, prefix = "net."): StateDict {
  const sd: StateDict = {};
  for (const [k, v] of Object.entries(tensors)) if (k.startsWith(prefix)) sd[k.slice(prefix.length)] = { shape: v.shape, data: v.data as Float32Array };
  return sd;
}

/** The energy network plus optimiser of a training run; shared by the image and toy problems. */
export class NetAndOptimizer {
  readonly net: EnergyNet;
  readonly optimizer: Optimizer;
  constructor(net: EnergyNet, optimizerType: "sgd" | "adam") {
    this.net = net;
    // The loop owns the learning rate (it is restored on resume and passed to every step).
    this.optimizer = createOptimizer(optimizerType, net.params, { lr: 0 });
  }

  /**
   * d_t = mean f(x+) − mean f(x−), times 2/ε² when ε > 0; one optimiser step on it at `lr`.
   * Returns d_t (before the step, as the paper records it).
   */
  step(pos: tf.Tensor, neg: tf.Tensor, epsilon: number, lr: number): number {
    const scale = epsilon > 0 ? 2 / (epsilon * epsilon) : 1;
    // Dense nets (ToyNet): forward and backward of both batches as one fused kernel where the backend has it.
    const { loss, grads } = fusedMlGrads(this.net, pos, neg, scale) ??
      paramGrads(this.net, () => tf.mul(tf.sub(tf.mean(this.net.energy(pos)), tf.mean(this.net.energy(neg))), scale) as tf.Scalar);
    try {
      // A non-finite loss must not reach the weights: the loop stops and keeps the last good state.
      if (Number.isFinite(loss)) {
        this.optimizer.lr = lr;
        this.optimizer.step(grads);
      }
      return loss;
    } finally {
      tf.dispose(Object.values(grads));
    }
  }

  /** Weights and optimiser state as named tensors (`net.<key>`, `optim.<buffer>/<key>`, `optim.step`). */
  stateTensors(): Record<string, NamedTensor> {
    return {
      ...stateDictTensors(this.net.stateDict()),
      ...stateDictTensors(this.optimizer.stateDict(), "optim."),
      "optim.step": { dtype: "F64", shape: [1], data: new Float64Array([this.optimizer.stepCount]) },
    };
  }

  /** Restores {@link stateTensors}. */
  restore(tensors: Record<string, NamedTensor>, source: string): void {
    this.net.loadStateDict(tensorsToStateDict(tensors), source);
    const step = tensors["optim.step"];
    if (!step) throw new Error(`Cannot restore the optimiser from ${source}: tensor 'optim.step' is missing`);
    const rest = Object.fromEntries(Object.entries(tensors).filter(([k]) => k !== "optim.step"));
    this.optimizer.loadStateDict(tensorsToStateDict(rest, "optim."), this.optimizer.lr, Number(step.data[0]), source);
  }

  /** Name of the first parameter holding NaN/±∞, or null. */
  firstNonFiniteWeight(): string | null {
    return firstNonFiniteParam(this.net.params);
  }
}


/**
 * Resumable state of a training problem: the model's tensors plus the persistent bank (when the
 * problem keeps one) under key `bank`, with `bankShape` as its shape.
 */
export function stateWithBank(model: NetAndOptimizer, bank: Float32Array | null, bankShape: number[]): Record<string, NamedTensor> {
  const out = model.stateTensors();
  if (bank) out.bank = { dtype: "F32", shape: bankShape, data: bank };
  return out;
}

/**
 * Restores the model from resumable state and returns the restored bank (a copy), or null when
 * the problem keeps none (`currentBank` null). A bank of the wrong size is a clear error.
 */
export function restoreWithBank(model: NetAndOptimizer, tensors: Record<string, NamedTensor>, currentBank: Float32Array | null): Float32Array | null {
  model.restore(tensors, "the resume checkpoint");
  if (!currentBank) return null;
  if (!tensors.bank || tensors.bank.data.length !== currentBank.length) throw new Error("Cannot resume: the checkpoint has no persistent bank of the right size");
  return Float32Array.from(tensors.bank.data as Float32Array);
}

/**
 * What a training problem with a net, an optimiser and an optional persistent bank delegates to
 * them: resumable state, its restore and the weight check (shared by the image and toy problems).
 */
export abstract class NetProblemState {
  abstract readonly model: NetAndOptimizer;
  /** The persistent bank, when the problem keeps one. */
  bank: Float32Array | null = null;

  /** Shape of the bank as saved: [states, …state shape]. */
  abstract bankShape(): number[];

  stateTensors(): Promise<Record<string, NamedTensor>> {
    return Promise.resolve(stateWithBank(this.model, this.bank, this.bankShape()));
  }

  restoreState(tensors: Record<string, NamedTensor>): Promise<void> {
    this.bank = restoreWithBank(this.model, tensors, this.bank);
    return Promise.resolve();
  }

  firstNonFiniteWeight(): Promise<string | null> {
    return Promise.resolve(this.model.firstNonFiniteWeight());
  }
}
