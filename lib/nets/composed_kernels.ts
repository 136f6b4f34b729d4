/**
 * Registering a project kernel's composed version (built from stock tfjs ops) on whatever
 * backend is current, once per backend, unless that backend already has its own kernel of the
 * same name (native and wasm register theirs when they are set up).
 *
 * @example
 * ```ts
 * const ensure = composedKernelRegistrar([["EbmMyKernel", (args) => myComposedVersion(args)]]);
 * ensure(); // after tf.setBackend(…): registers what the current backend lacks
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** What tfjs passes a kernel function (the parts composed kernels read). */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap };

/**
 * Input `name` of a kernel call as a Tensor (the engine may hand over bare TensorInfos), or an
 * error naming the kernel and the missing input.
 *
 * @example
 * ```ts
 * const x = kernelInput(args, "x", "EbmMyKernel");
 * ```
 */
export function kernelInput(args: KernelArgs, name: string, kernel: string): tf.Tensor {
  const info = args.inputs[name];
  if (info === undefined) throw new Error(`Cannot run ${kernel}: input '${name}' is missing`);
  return info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
}

/** A kernel name and its composed implementation. */
export type ComposedKernel = [string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]];

/**
 * A function that, on each call, registers `kernels` on the current backend where missing
 * (remembering which backends are done, so repeated calls cost a set lookup).
 */
export function composedKernelRegistrar(kernels: ComposedKernel[]): () => void {
  const backendsDone = new Set<string>();
  return () => {
    const backendName = tf.getBackend();
    if (backendsDone.has(backendName)) return;
    for (const [kernelName, kernelFunc] of kernels) {
      if (tf.getKernel(kernelName, backendName) === undefined) {
        tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
      }
    }
    backendsDone.add(backendName);
  };
}
