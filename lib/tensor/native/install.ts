/**
 * Builds the `native` tfjs backend: a cpu backend instance with every cpu kernel re-registered
 * under "native", then the heavy kernels replaced by oneDNN ones. Loaded lazily by
 * `registerNativeBackend` so that probing for the library never pulls in tfjs.
 *
 * @example
 * ```ts ignore
 * const { installNativeBackend } = await import("./install.ts");
 * installNativeBackend(Dnnl.open(path));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Dnnl } from "./dnnl.ts";
import { BufferPool, type PoolStats, resolvePoolBytes } from "./buffer_pool.ts";
import { PooledCpuBackend } from "./pooled_backend.ts";
import { NativeContext } from "./kernels/context.ts";
import { makeConv2D, makeFusedConv2D } from "./kernels/conv2d.ts";
import { makeConv2DBackpropFilter, makeConv2DBackpropInput } from "./kernels/conv2d_backprop.ts";
import { makeBatchMatMul, makeFusedMatMul } from "./kernels/matmul.ts";
import { makeMaxPool, makeMaxPoolGrad } from "./kernels/max_pool.ts";
import {
  makeAdd,
  makeGreater,
  makeLeakyRelu,
  makeMultiply,
  makePrelu,
  makeRealDiv,
  makeSelect,
  makeSoftmax,
  makeStep,
  makeSub,
  makeSum,
  makeTranspose,
} from "./kernels/elementwise.ts";
import { makeConvBiasLeakyRelu, makeLeakyReluGradFromOutput } from "./kernels/fused_layer.ts";
import { makeLangevinUpdate } from "./kernels/langevin_update.ts";
import { makeDenseBiasLeakyRelu } from "./kernels/fused_dense.ts";
import { makeDenseLangevinChain, makeDenseMlGrads } from "./kernels/dense_net.ts";
import { makeAdamUpdate } from "./kernels/adam_update.ts";
import { makeConcat, makeNeg, makeRelu, makeSplitV, makeSquare, makeTile } from "./kernels/data_movement.ts";
import {
  ADAM_UPDATE,
  CONV_BIAS_LEAKY_RELU,
  DENSE_BIAS_LEAKY_RELU,
  DENSE_LANGEVIN_CHAIN,
  DENSE_ML_GRADS,
  LANGEVIN_UPDATE,
  LEAKY_RELU_GRAD_FROM_OUTPUT,
} from "../kernels/kernel_names.ts";
import { KernelProfile } from "./profile.ts";

/** The tfjs backend name this module registers. */
export const NATIVE_BACKEND_NAME = "native";

/** The kernels replaced (by oneDNN primitives or tight loops), by tfjs kernel name. */
export function nativeKernelFactories(): Record<string, (ctx: NativeContext) => tf.KernelFunc> {
  return {
    Conv2D: makeConv2D,
    FusedConv2D: makeFusedConv2D,
    Conv2DBackpropInput: makeConv2DBackpropInput,
    Conv2DBackpropFilter: makeConv2DBackpropFilter,
    BatchMatMul: makeBatchMatMul,
    _FusedMatMul: makeFusedMatMul,
    MaxPool: makeMaxPool,
    MaxPoolGrad: makeMaxPoolGrad,
    Prelu: makePrelu,
    LeakyRelu: makeLeakyRelu,
    Add: makeAdd,
    Sub: makeSub,
    Multiply: makeMultiply,
    RealDiv: makeRealDiv,
    Softmax: makeSoftmax,
    Step: makeStep,
    Transpose: makeTranspose,
    Greater: makeGreater,
    Select: makeSelect,
    Sum: makeSum,
    SplitV: makeSplitV,
    Concat: makeConcat,
    Relu: makeRelu,
    Neg: makeNeg,
    Square: makeSquare,
    Tile: makeTile,
    [CONV_BIAS_LEAKY_RELU]: makeConvBiasLeakyRelu,
    [LEAKY_RELU_GRAD_FROM_OUTPUT]: makeLeakyReluGradFromOutput,
    [LANGEVIN_UPDATE]: makeLangevinUpdate,
    [DENSE_BIAS_LEAKY_RELU]: makeDenseBiasLeakyRelu,
    [DENSE_LANGEVIN_CHAIN]: makeDenseLangevinChain,
    [DENSE_ML_GRADS]: makeDenseMlGrads,
    [ADAM_UPDATE]: makeAdamUpdate,
  };
}

/** Per-kernel wall time of the native backend (all kernels, native or cpu-borrowed). */
export const nativeProfile = new KernelProfile();

let installed: NativeContext | null = null;

/**
 * Compiled plan count, cpu-fallback counts per kernel, output-buffer pool counters and oneDNN
 * primitive executions so far, for tests and benchmarks.
 */
export function nativeStats(): { plans: number; fallbacks: Record<string, number>; pool: PoolStats; executions: number } {
  if (!installed) throw new Error("Cannot read native backend stats: the backend is not registered");
  return {
    plans: installed.planCount,
    fallbacks: Object.fromEntries(installed.fallbacks),
    pool: installed.pool.stats(),
    executions: installed.dnnl.executions,
  };
}

/**
 * Registers the backend and its kernels with tfjs. Returns the shared kernel context (its plan
 * cache) for diagnostics.
 */
export function installNativeBackend(dnnl: Dnnl): NativeContext {
  const ctx = new NativeContext(dnnl, new BufferPool(resolvePoolBytes()));
  installed = ctx;
  // Priority 0: never chosen implicitly over cpu/wasm; callers select it by name.
  tf.registerBackend(NATIVE_BACKEND_NAME, () => new PooledCpuBackend(ctx.pool), 0);
  const factories = nativeKernelFactories();
  for (const config of tf.getKernelsForBackend("cpu")) {
    if (config.kernelName in factories) continue;
    tf.registerKernel({
      ...config,
      backendName: NATIVE_BACKEND_NAME,
      kernelFunc: nativeProfile.wrap(config.kernelName, config.kernelFunc),
    });
  }
  for (const [kernelName, make] of Object.entries(factories)) {
    tf.registerKernel({
      kernelName,
      backendName: NATIVE_BACKEND_NAME,
      kernelFunc: nativeProfile.wrap(kernelName, make(ctx)),
    });
  }
  return ctx;
}
