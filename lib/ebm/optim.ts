/**
 * SGD and Adam with PyTorch 1.13's exact update rules (torch.optim.SGD / torch.optim.Adam,
 * non-amsgrad, non-nesterov), plus the paper's learning-rate decay `lr ← max(lr_min, lr·lr_decay)`.
 * Optimiser state can be exported in PyTorch parameter layouts for checkpoints.
 *
 * @example
 * ```ts ignore
 * const opt = createOptimizer("adam", net.params, { lr: 1e-4 });
 * const { grads } = paramGrads(net, () => loss());
 * opt.step(grads);            // keyed by state_dict key
 * opt.decayLr(0.999, 1e-5);   // after each step, as the paper does
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedParam, StateDict } from "../nets/net.ts";
import { internalShape, toInternal, toTorch } from "../nets/params.ts";
import { adamUpdate } from "./adam_update.ts";

/** Optimiser kinds the paper's configs name (`optimizer_type`). */
export type OptimizerType = "sgd" | "adam";

/** Hyper-parameters; unset fields take PyTorch's defaults. */
export interface OptimizerOptions {
  lr: number;
  /** SGD momentum (torch default 0). */
  momentum?: number;
  /** L2 penalty added to the gradient, as torch's `weight_decay` (default 0). */
  weightDecay?: number;
  /** Adam betas (torch default [0.9, 0.999]). */
  betas?: [number, number];
  /** Adam epsilon, added outside the square root (torch default 1e-8). */
  eps?: number;
}

/** A stateful optimiser over a network's parameters. */
export interface Optimizer {
  readonly type: OptimizerType;
  /** Current learning rate. */
  lr: number;
  /** Steps taken so far. */
  readonly stepCount: number;
  readonly options: Required<OptimizerOptions>;
  /** Applies one update; `grads` maps state_dict keys to gradients (missing keys are skipped, as torch skips `grad=None`). */
  step(grads: Record<string, tf.Tensor>): void;
  /** `lr ← max(lrMin, lr·lrDecay)`; returns the new lr. */
  decayLr(lrDecay: number, lrMin: number): number;
  /** Buffers in PyTorch parameter layouts, keyed `<buffer>/<param key>` (e.g. "exp_avg/f.0.weight"). */
  stateDict(): StateDict;
  /** Restores buffers saved by {@link Optimizer.stateDict} plus lr and step count. */
  loadStateDict(sd: StateDict, lr: number, stepCount: number, source?: string): void;
  /** Frees the buffers. */
  dispose(): void;
}

function positive(name: string, v: number, allowZero = false): number {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new Error(`Cannot create optimiser: '${name}' must be a ${allowZero ? "non-negative" : "positive"} number, got ${v}`);
  }
  return v;
}

/**
 * Creates an SGD or Adam optimiser over `params` (in state_dict order).
 *
 * @example
 * ```ts ignore
 * const sgd = createOptimizer("sgd", net.params, { lr: 0.1 * eps ** 2 / 2 });
 * ```
 */
export function createOptimizer(type: OptimizerType, params: NamedParam[], options: OptimizerOptions): Optimizer {
  if (type !== "sgd" && type !== "adam") throw new Error(`Cannot create optimiser '${type}': expected 'sgd' or 'adam'`);
  const opts: Required<OptimizerOptions> = {
    lr: positive("lr", options.lr, true),
    momentum: positive("momentum", options.momentum ?? 0, true),
    weightDecay: positive("weightDecay", options.weightDecay ?? 0, true),
    betas: options.betas ?? [0.9, 0.999],
    eps: positive("eps", options.eps ?? 1e-8, true),
  };
  for (const b of opts.betas) if (!(b >= 0 && b < 1)) throw new Error(`Cannot create optimiser: 'betas' must lie in [0, 1), got [${opts.betas}]`);
  const bufferNames = type === "adam" ? ["exp_avg", "exp_avg_sq"] : opts.momentum > 0 ? ["momentum_buffer"] : [];
  // Buffers are created lazily on the first step, as torch does (SGD's momentum buffer starts as the gradient).
  const buffers = new Map<string, tf.Variable>();
  const byKey = new Map(params.map((p) => [p.key, p]));
  let steps = 0;
  const opt: Optimizer = {
    type,
    lr: opts.lr,
    get stepCount() {
      return steps;
    },
    options: opts,
    step(grads) {
      for (const key of Object.keys(grads)) {
        if (!byKey.has(key)) throw new Error(`Cannot apply optimiser step: no parameter named '${key}'`);
      }
      steps += 1;
      const lr = opt.lr;
      tf.tidy(() => {
        for (const p of params) {
          const raw = grads[p.key];
          if (raw === undefined) continue;
          const w = p.variable;
          const g = opts.weightDecay !== 0 ? tf.add(raw, tf.mul(w, opts.weightDecay)) : raw;
          if (type === "sgd") {
            let d = g;
            if (opts.momentum > 0) {
              const name = `momentum_buffer/${p.key}`;
              let buf = buffers.get(name);
              if (buf === undefined) {
                buf = tf.variable(g, false);
                buffers.set(name, buf);
              } else {
                buf.assign(tf.add(tf.mul(buf, opts.momentum), g));
              }
              d = buf;
            }
            w.assign(tf.sub(w, tf.mul(d, lr)));
            continue;
          }
          const [beta1, beta2] = opts.betas;
          const m = bufferFor(`exp_avg/${p.key}`, w), v = bufferFor(`exp_avg_sq/${p.key}`, w);
          // One kernel per parameter (adam_update.ts), bit-identical to the composed ops.
          const next = adamUpdate(w, g, m, v, { lr, beta1, beta2, eps: opts.eps, step: steps });
          m.assign(next.m);
          v.assign(next.v);
          w.assign(next.w);
        }
      });
    },
    decayLr(lrDecay, lrMin) {
      opt.lr = Math.max(lrMin, opt.lr * lrDecay);
      return opt.lr;
    },
    stateDict() {
      const out: StateDict = {};
      for (const [name, buf] of buffers) {
        const p = byKey.get(name.slice(name.indexOf("/") + 1))!;
        out[name] = { shape: [...p.spec.torchShape], data: toTorch(p.spec, buf.dataSync() as Float32Array) };
      }
      return out;
    },
    loadStateDict(sd, lr, stepCount, source = "optimiser state") {
      for (const [name, entry] of Object.entries(sd)) {
        const slash = name.indexOf("/");
        const bufName = name.slice(0, slash), p = byKey.get(name.slice(slash + 1));
        if (!bufferNames.includes(bufName) || p === undefined) {
          throw new Error(`Cannot load ${source}: unexpected entry '${name}' for a ${type} optimiser over these parameters`);
        }
        const value = tf.tensor(toInternal(p.spec, entry.data), internalShape(p.spec));
        const old = buffers.get(name);
        if (old) old.dispose();
        buffers.set(name, tf.variable(value, false));
        value.dispose();
      }
      opt.lr = lr;
      steps = stepCount;
    },
    dispose() {
      for (const b of buffers.values()) b.dispose();
      buffers.clear();
    },
  };
  function bufferFor(name: string, like: tf.Tensor): tf.Variable {
    let buf = buffers.get(name);
    if (buf === undefined) {
      buf = tf.variable(tf.zerosLike(like), false);
      buffers.set(name, buf);
    }
    return buf;
  }
  return opt;
}
