/**
 * What every native kernel shares: the oneDNN runtime, the per-shape plan cache, and the cpu
 * backend's kernels for the cases oneDNN is not used for (non-float32 data, unusual broadcasts).
 *
 * @example
 * ```ts ignore
 * const plan = ctx.plan("Conv2D|" + key, () => buildPlan());
 * plan.run([x, w, y]);
 * ```
 * @module
 */
import { getKernel, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { Dnnl, Plan } from "../dnnl.ts";
import type { BufferPool } from "../buffer_pool.ts";

/** What tfjs passes a kernel function. */
export type KernelArgs = Parameters<KernelFunc>[0];

/** Returned by a {@link NativeContext.withFallback} body: run the cpu backend's kernel instead. */
export const FALL_BACK: unique symbol = Symbol("fall back to the cpu kernel");

/** Shared state of the native kernels. */
export class NativeContext {
  private readonly plans = new Map<string, Plan>();
  /** How often each kernel handed a call to the cpu backend (unsupported dtype/shape/activation). */
  readonly fallbacks = new Map<string, number>();

  constructor(readonly dnnl: Dnnl, readonly pool: BufferPool) {}

  /**
   * A float32 output buffer of `n` elements with unspecified contents (a recycled one when the
   * pool has it): only for kernels that write every element.
   */
  output(n: number): Float32Array {
    return this.pool.take(n);
  }

  /** The plan cached under `key`, built on first use (one per kernel and shape). */
  plan(key: string, build: () => Plan): Plan {
    let plan = this.plans.get(key);
    if (!plan) {
      plan = build();
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** How many plans (distinct kernel shapes) have been compiled. */
  get planCount(): number {
    return this.plans.size;
  }

  /**
   * The kernel `kernelName` on oneDNN: runs `body` with the native backend (a cpu backend whose
   * tensor data is shared), and hands the call to the cpu backend's kernel of the same name,
   * counted in {@link fallbacks}, where `body` returns {@link FALL_BACK} (an unsupported dtype,
   * shape or activation).
   *
   * @example
   * ```ts ignore
   * const makeStep = (ctx: NativeContext) => ctx.withFallback("Step", (args, backend) => {
   *   const xs = float32Values(backend, args.inputs.x);
   *   if (!xs) return FALL_BACK;
   *   return backend.makeTensorInfo(args.inputs.x!.shape, "float32", stepOf(xs));
   * });
   * ```
   */
  withFallback(kernelName: string, body: (args: KernelArgs, backend: MathBackendCPU) => TensorInfo | TensorInfo[] | typeof FALL_BACK): KernelFunc {
    const fallback = this.cpuKernel(kernelName);
    return (args) => {
      const result = body(args, args.backend as MathBackendCPU);
      return result === FALL_BACK ? fallback(args) : result;
    };
  }

  /** The cpu backend's implementation of `kernelName`, counting each call as a fallback. */
  cpuKernel(kernelName: string): KernelFunc {
    const config = getKernel(kernelName, "cpu");
    if (!config) throw new Error(`Cannot fall back to the cpu kernel '${kernelName}': it is not registered`);
    const kernelFunc = config.kernelFunc;
    return (args) => {
      this.fallbacks.set(kernelName, (this.fallbacks.get(kernelName) ?? 0) + 1);
      return kernelFunc(args);
    };
  }
}

/** The tensor's own float32 values, or null when it is not a plain float32 tensor. */
export function float32Values(backend: MathBackendCPU, t: TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== "float32") return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}

/** Like {@link float32Values} but throws; for tensors already checked to be float32. */
export function mustFloat32(backend: MathBackendCPU, t: TensorInfo | undefined, what: string): Float32Array {
  const values = float32Values(backend, t);
  if (!values) throw new Error(`Native kernel input '${what}' is not a float32 tensor (dtype ${t?.dtype})`);
  return values;
}

/** Activations a oneDNN eltwise post-op can apply, as (algorithm, alpha, beta). */
export function eltwisePostOp(
  activation: string | undefined,
  leakyreluAlpha: number | undefined,
  alg: { relu: number; elu: number; logistic: number; clip: number },
): { alg: number; alpha: number; beta: number } | null | "unsupported" {
  switch (activation ?? "linear") {
    case "linear":
      return null;
    case "relu":
      return { alg: alg.relu, alpha: 0, beta: 0 };
    case "leakyrelu":
      return { alg: alg.relu, alpha: leakyreluAlpha ?? 0.2, beta: 0 };
    case "relu6":
      return { alg: alg.clip, alpha: 0, beta: 6 };
    case "elu":
      return { alg: alg.elu, alpha: 1, beta: 0 };
    case "sigmoid":
      return { alg: alg.logistic, alpha: 0, beta: 0 };
    default:
      return "unsupported";
  }
}

/** A kernel's named inputs with the ones it requires marked present (tfjs types them optional). */
export type Present<T> = { [K in keyof T]-?: NonNullable<T[K]> };
