/**
 * Native `SplitV`, `Concat`, `Tile` and `Neg` as tight loops over float32 buffers, `Relu` and
 * `Square` on oneDNN. The cpu backend's versions go through per-element index arithmetic (a
 * column split of [1000, 2] costs ~0.9 ms CPU there): on small-network flows (Glow's couplings
 * split and join columns at every step) they were a large share of a training step, and in VERA's
 * posterior pass `Tile` and `Square` (BatchNorm's variance over K·B rows) were the last
 * cpu-borrowed kernels.
 * Results are bit-identical to the cpu kernels (pure copies; `Relu` treats −0 and NaN as cpu does;
 * `Square` is one correctly rounded float32 product, as cpu's); other dtypes and empty tensors
 * fall back.
 *
 * @example
 * ```ts ignore
 * import { makeSplitV } from "./data_movement.ts";
 * tf.registerKernel({ kernelName: "SplitV", backendName: "native", kernelFunc: makeSplitV(ctx) });
 * ```
 * @module
 */
import { backend_util, type KernelFunc, type TensorInfo, util } from "@tensorflow/tfjs-core";
import { float32Values, FALL_BACK, type NativeContext } from "./context.ts";
import { binaryPlan } from "./flat_plans.ts";

type Args = Parameters<KernelFunc>[0];

/** Rows before `axis` and elements after it, for a row-major shape. */
function around(shape: number[], axis: number): { outer: number; inner: number } {
  return { outer: util.sizeFromShape(shape.slice(0, axis)), inner: util.sizeFromShape(shape.slice(axis + 1)) };
}

/** `SplitV(x)`: pieces along `axis` of the sizes tfjs's `prepareSplitSize` gives. */
export function makeSplitV(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("SplitV", (args: Args, backend) => {
    const x = (args.inputs as { x?: TensorInfo }).x;
    const xs = float32Values(backend, x);
    if (!xs || xs.length === 0) return FALL_BACK;
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const $axis = util.parseAxisParam(axis, x!.shape)[0];
    const sizes = backend_util.prepareSplitSize(x!, numOrSizeSplits, $axis);
    const { outer, inner } = around(x!.shape, $axis);
    const rowIn = x!.shape[$axis] * inner;
    let begin = 0;
    return sizes.map((size) => {
      const rowOut = size * inner, out = ctx.output(outer * rowOut);
      if (rowOut === 1) for (let r = 0, src = begin; r < outer; r++, src += rowIn) out[r] = xs[src];
      else for (let r = 0; r < outer; r++) out.set(xs.subarray(r * rowIn + begin, r * rowIn + begin + rowOut), r * rowOut);
      begin += rowOut;
      const shape = x!.shape.slice();
      shape[$axis] = size;
      return backend.makeTensorInfo(shape, "float32", out);
    });
  });
}

/** `Concat(...tensors)` along `axis`, float32 inputs with no empty one. */
export function makeConcat(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Concat", (args: Args, backend) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (inputs.length === 0) return FALL_BACK;
    const values = inputs.map((t) => float32Values(backend, t));
    if (values.some((v) => !v || v.length === 0)) return FALL_BACK;
    const $axis = util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    backend_util.assertParamsConsistent(shapes, $axis);
    const outShape = backend_util.computeOutShape(shapes, $axis);
    const { outer, inner } = around(outShape, $axis);
    const rowOut = outShape[$axis] * inner, out = ctx.output(outer * rowOut);
    let begin = 0;
    inputs.forEach((t, k) => {
      const xs = values[k]!, rowIn = t.shape[$axis] * inner;
      if (rowIn === 1) for (let r = 0, dst = begin; r < outer; r++, dst += rowOut) out[dst] = xs[r];
      else for (let r = 0; r < outer; r++) out.set(xs.subarray(r * rowIn, (r + 1) * rowIn), r * rowOut + begin);
      begin += rowIn;
    });
    return backend.makeTensorInfo(outShape, "float32", out);
  });
}

/**
 * `Tile(x, reps)`: one axis at a time from the innermost, each contiguous block of the current
 * result copied `reps[axis]` times (the cpu kernel maps every output index back to an input one).
 */
export function makeTile(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Tile", (args: Args, backend) => {
    const x = (args.inputs as { x?: TensorInfo }).x;
    const xs = float32Values(backend, x);
    const { reps } = args.attrs as unknown as { reps: number[] };
    if (!xs || xs.length === 0 || reps.length !== x!.shape.length || reps.some((r) => !(r >= 1))) return FALL_BACK;
    const shape = x!.shape.slice(), last = reps.reduce((a, r, i) => (r > 1 ? i : a), -1);
    let current = xs;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      const r = reps[axis];
      if (r === 1) continue;
      const { outer } = around(shape, axis), block = current.length / outer;
      const next = axis === last ? ctx.output(current.length * r) : new Float32Array(current.length * r);
      for (let o = 0, dst = 0; o < outer; o++) {
        const src = current.subarray(o * block, (o + 1) * block);
        for (let k = 0; k < r; k++, dst += block) next.set(src, dst);
      }
      shape[axis] *= r;
      current = next;
    }
    // No axis repeated: still a new tensor (the cpu kernel copies too).
    if (last < 0) {
      current = ctx.output(xs.length);
      current.set(xs);
    }
    return backend.makeTensorInfo(shape, "float32", current);
  });
}

/** A float32 unary op: `loop` fills `out` from `xs` (one monomorphic loop per op, so V8 inlines it). */
function unary(ctx: NativeContext, kernelName: string, loop: (xs: Float32Array, out: Float32Array) => void): KernelFunc {
  return ctx.withFallback(kernelName, (args: Args, backend) => {
    const x = (args.inputs as { x?: TensorInfo }).x;
    const xs = float32Values(backend, x);
    if (!xs || xs.length === 0) return FALL_BACK;
    const out = ctx.output(xs.length);
    loop(xs, out);
    return backend.makeTensorInfo(x!.shape, "float32", out);
  });
}

const zerosBySize = new Map<number, Float32Array>();

/** A cached buffer of `n` zeros (Relu's first operand). */
function zeros(n: number): Float32Array {
  let buffer = zerosBySize.get(n);
  if (!buffer) {
    buffer = new Float32Array(n);
    zerosBySize.set(n, buffer);
  }
  return buffer;
}

const PLUS_ZERO = new Float32Array([0]);

/**
 * `Relu(x)`: as the cpu kernel, `Math.max(0, x)` (−0 → +0, NaN stays NaN), in two oneDNN
 * passes (~3× faster than a JavaScript loop at 400,000 elements): `max(0, x)` with the zeros as
 * the first operand — oneDNN's max returns its second operand where either is NaN or both are
 * zero (x86's `maxps`, and the reference `a > b ? a : b`), so NaN stays NaN and −0 stays −0 —
 * then `+ 0`, which turns −0 into +0 and leaves every other value unchanged.
 */
export function makeRelu(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Relu", (args: Args, backend) => {
    const x = (args.inputs as { x?: TensorInfo }).x;
    const xs = float32Values(backend, x);
    if (!xs || xs.length === 0) return FALL_BACK;
    const n = xs.length, out = ctx.output(n);
    binaryPlan(ctx, "max", [n], [n]).run([zeros(n), xs, out]);
    binaryPlan(ctx, "add", [n], [1]).run([out, PLUS_ZERO, out]);
    return backend.makeTensorInfo(x!.shape, "float32", out);
  });
}

/**
 * `Square(x)`: x·x on oneDNN's binary multiply with x as both operands (a correctly rounded
 * float32 product, as cpu's exact float64 product rounded once to float32; ~5× faster than a
 * JavaScript loop at 400,000 elements).
 */
export function makeSquare(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Square", (args: Args, backend) => {
    const x = (args.inputs as { x?: TensorInfo }).x;
    const xs = float32Values(backend, x);
    if (!xs || xs.length === 0) return FALL_BACK;
    const out = ctx.output(xs.length);
    binaryPlan(ctx, "mul", [xs.length], [xs.length]).run([xs, xs, out]);
    return backend.makeTensorInfo(x!.shape, "float32", out);
  });
}

/** `Neg(x)`: −x. */
export const makeNeg = (ctx: NativeContext): KernelFunc =>
  unary(ctx, "Neg", (xs, out) => {
    for (let i = 0; i < xs.length; i++) out[i] = -xs[i];
  });
