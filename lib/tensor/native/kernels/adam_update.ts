/**
 * `EbmAdamUpdate` (contract in `lib/tensor/kernels/kernel_names.ts`) in one pass: every intermediate is
 * rounded to float32 where the composed ops store a float32 tensor (Mul, Add, Square, Sqrt,
 * RealDiv, Sub; scalars as float32), so weights and moment buffers are bit-identical to the
 * composed ops on this backend — one kernel instead of about ten per parameter.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: ADAM_UPDATE, backendName: "native", kernelFunc: makeAdamUpdate(ctx) });
 * ```
 * @module
 */
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { float32Values, type NativeContext } from "./context.ts";
import { ADAM_UPDATE } from "../../kernels/kernel_names.ts";

const fround = Math.fround;

/** The native `EbmAdamUpdate` kernel. */
export function makeAdamUpdate(ctx: NativeContext): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { w, g, m, v } = args.inputs as Record<string, TensorInfo | undefined>;
    const a = args.attrs as Record<string, unknown>;
    for (const name of ["lr", "beta1", "beta2", "eps"]) {
      if (typeof a[name] !== "number" || !Number.isFinite(a[name])) throw new Error(`Cannot run ${ADAM_UPDATE}: attribute '${name}' must be a finite number, got ${a[name]}`);
    }
    const step = a.step as number;
    if (!Number.isInteger(step) || step < 1) throw new Error(`Cannot run ${ADAM_UPDATE}: attribute 'step' must be a positive integer, got ${a.step}`);
    const ws = float32Values(backend, w), gs = float32Values(backend, g), ms = float32Values(backend, m), vs = float32Values(backend, v);
    if (!ws || !gs || !ms || !vs || gs.length !== ws.length || ms.length !== ws.length || vs.length !== ws.length) {
      throw new Error(`Cannot run ${ADAM_UPDATE}: expected float32 w, g, m, v of one shape, got [${w?.shape}], [${g?.shape}], [${m?.shape}], [${v?.shape}]`);
    }
    const lr = a.lr as number, beta1 = a.beta1 as number, beta2 = a.beta2 as number, eps = a.eps as number;
    // The scalars exactly as the composed ops make them (float32 tensors of the double values).
    const b1 = fround(beta1), c1 = fround(1 - beta1), b2 = fround(beta2), c2 = fround(1 - beta2);
    const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
    const s2 = fround(Math.sqrt(bc2)), e = fround(eps), k = fround(lr / bc1);
    const n = ws.length;
    const w1 = ctx.output(n), m1 = ctx.output(n), v1 = ctx.output(n);
    for (let i = 0; i < n; i++) {
      const gi = gs[i];
      const mi = fround(fround(ms[i] * b1) + fround(gi * c1));
      const vi = fround(fround(vs[i] * b2) + fround(fround(gi * gi) * c2));
      const denom = fround(fround(fround(Math.sqrt(vi)) / s2) + e);
      w1[i] = ws[i] - fround(fround(mi / denom) * k);
      m1[i] = mi;
      v1[i] = vi;
    }
    return [backend.makeTensorInfo(w!.shape, "float32", w1), backend.makeTensorInfo(w!.shape, "float32", m1), backend.makeTensorInfo(w!.shape, "float32", v1)];
  };
}
