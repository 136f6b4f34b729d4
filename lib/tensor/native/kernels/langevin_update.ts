/**
 * `EbmLangevinUpdate` (contract in `lib/tensor/kernels/kernel_names.ts`) in one pass over the batch:
 * `next = (x − g) + ε·z` and the squared gradient norm per image, then the two means. Every
 * intermediate is rounded to float32 where the composed native path stores a float32 tensor
 * (Sub, Mul, Add, Square, the per-image Sum, Sqrt, and Mean's divide-then-sum), so results are
 * bit-identical to those ops on this backend; it replaces nine kernel calls and five
 * full-size temporaries per step.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: LANGEVIN_UPDATE, backendName: "native", kernelFunc: makeLangevinUpdate(ctx) });
 * ```
 * @module
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { float32Values, type NativeContext } from "./context.ts";
import { LANGEVIN_UPDATE } from "../../kernels/kernel_names.ts";

const fround = Math.fround;

/** tfjs cpu `Mean` of a float32 vector: each value divided by n and rounded, summed in float64, rounded. */
export function cpuMean(values: Float32Array): number {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += fround(values[i] / n);
  return fround(sum);
}

/** The native `EbmLangevinUpdate` kernel. */
export function makeLangevinUpdate(ctx: NativeContext): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, grad, noise, energy } = args.inputs as Record<string, TensorInfo | undefined>;
    const epsilon = (args.attrs as { epsilon?: unknown }).epsilon;
    if (typeof epsilon !== "number" || !Number.isFinite(epsilon)) {
      throw new Error(`Cannot run ${LANGEVIN_UPDATE}: attribute 'epsilon' must be a finite number, got ${epsilon}`);
    }
    const xs = float32Values(backend, x), gs = float32Values(backend, grad);
    const zs = float32Values(backend, noise), es = float32Values(backend, energy);
    const images = x?.shape[0] ?? 0;
    if (!xs || !gs || !zs || !es || gs.length !== xs.length || zs.length !== xs.length || es.length !== images) {
      throw new Error(
        `Cannot run ${LANGEVIN_UPDATE}: expected float32 x, grad, noise of one shape and energy [N], got ` +
          `${x?.dtype} [${x?.shape}], ${grad?.dtype} [${grad?.shape}], ${noise?.dtype} [${noise?.shape}], ${energy?.dtype} [${energy?.shape}]`,
      );
    }
    const eps = fround(epsilon);
    const next = ctx.output(xs.length);
    const norms = new Float32Array(images);
    const perImage = images === 0 ? 0 : xs.length / images;
    for (let r = 0, i = 0; r < images; r++) {
      let squares = 0;
      for (const end = i + perImage; i < end; i++) {
        const g = gs[i];
        next[i] = fround(xs[i] - g) + fround(zs[i] * eps);
        squares += fround(g * g);
      }
      norms[r] = Math.sqrt(fround(squares));
    }
    const stats = new Float32Array([cpuMean(es), cpuMean(norms)]);
    return [backend.makeTensorInfo(x!.shape, "float32", next), backend.makeTensorInfo([2], "float32", stats)];
  };
}
