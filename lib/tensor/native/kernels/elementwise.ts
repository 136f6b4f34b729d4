/**
 * Fast versions of the elementwise kernels the nets and their gradients run through: Prelu,
 * LeakyRelu, Add, Sub, Multiply, RealDiv, Greater (with any broadcast oneDNN's binary primitive supports),
 * Softmax over the last axis and Transpose on oneDNN primitives; Select and per-channel Prelu as
 * tight loops; `Sum` over leading axes (bias gradients) in one pass. tfjs's cpu versions go
 * through per-element index arithmetic and, for `Sum`, a full transpose; at batch 100 these
 * passes cost more than the convolutions. Non-float32 data and unsupported broadcasts are handed
 * to the cpu kernel unchanged.
 *
 * @example
 * ```ts ignore
 * registerKernel({ kernelName: "Prelu", backendName: "native", kernelFunc: makePrelu(ctx) });
 * ```
 * @module
 */
import { backend_util, type KernelFunc, type TensorInfo, util } from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { ABI } from "../abi.ts";
import { float32Values, type NativeContext, FALL_BACK } from "./context.ts";
import { type BinaryOp, binaryPlan, leakyReluBackwardPlan, leakyReluPlan, softmaxPlan, transposePlan } from "./flat_plans.ts";

type Args = Parameters<KernelFunc>[0];

function input(args: Args, name: string): TensorInfo | undefined {
  return (args.inputs as Record<string, TensorInfo | undefined>)[name];
}

/** `Prelu(x, alpha)`: x < 0 ? alpha·x : x, for scalar (oneDNN) or per-channel / same-shape alpha. */
export function makePrelu(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Prelu", (args, backend) => {
    const x = input(args, "x"), alpha = input(args, "alpha");
    const xs = float32Values(backend, x), as = float32Values(backend, alpha);
    if (!xs || !as || alpha!.shape.length > x!.shape.length) return FALL_BACK;
    const last = x!.shape[x!.shape.length - 1];
    const perChannel = as.length === last && alpha!.shape[alpha!.shape.length - 1] === last &&
      alpha!.shape.slice(0, -1).every((d) => d === 1);
    const same = util.arraysEqual(x!.shape, alpha!.shape);
    const out = ctx.output(xs.length);
    if (as.length === 1) {
      leakyReluPlan(ctx, xs.length, as[0]).run([xs, out]);
    } else if (perChannel || same) {
      const period = same ? xs.length : as.length;
      for (let i = 0, j = 0; i < xs.length; i++, j = j + 1 === period ? 0 : j + 1) out[i] = xs[i] < 0 ? as[j] * xs[i] : xs[i];
    } else {
      return FALL_BACK;
    }
    return backend.makeTensorInfo(x!.shape, "float32", out);
  });
}

/** `LeakyRelu(x)` with attribute alpha, on oneDNN's eltwise relu. */
export function makeLeakyRelu(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("LeakyRelu", (args, backend) => {
    const x = input(args, "x");
    const xs = float32Values(backend, x);
    if (!xs || xs.length === 0) return FALL_BACK;
    // oneDNN takes the slope as float32 (the cpu kernel multiplies by the float64 value).
    const a = Math.fround((args.attrs as { alpha: number }).alpha);
    const out = ctx.output(xs.length);
    leakyReluPlan(ctx, xs.length, a).run([xs, out]);
    return backend.makeTensorInfo(x!.shape, "float32", out);
  });
}

const onesBySize = new Map<number, Float32Array>();

/** A cached buffer of `n` ones (Step runs leaky-ReLU backward with dy = 1). */
function ones(n: number): Float32Array {
  let buffer = onesBySize.get(n);
  if (!buffer) {
    buffer = new Float32Array(n).fill(1);
    onesBySize.set(n, buffer);
  }
  return buffer;
}

/**
 * `Step(x)` with attribute alpha: x > 0 ? 1 : alpha (NaN stays NaN), as oneDNN's leaky-ReLU
 * backward with dy = 1, then NaN inputs restored to NaN.
 */
export function makeStep(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Step", (args, backend) => {
    const x = input(args, "x");
    const xs = float32Values(backend, x);
    if (!xs || xs.length === 0) return FALL_BACK;
    const alpha = Math.fround((args.attrs as { alpha: number }).alpha);
    const out = ctx.output(xs.length);
    leakyReluBackwardPlan(ctx, xs.length, alpha).run([xs, ones(xs.length), out]);
    // oneDNN's vectorised compare maps NaN to 1; tfjs keeps NaN. This pass is a predictable
    // compare per element, cheaper than computing the step in JavaScript.
    for (let i = 0; i < out.length; i++) if (xs[i] !== xs[i]) out[i] = NaN;
    return backend.makeTensorInfo(x!.shape, "float32", out);
  });
}

/**
 * How a tfjs binary op maps onto oneDNN, which broadcasts only its second operand: the output's
 * dims, the broadcast operand's dims (rank-padded with 1s), and whether the operands are swapped.
 */
function binaryLayout(a: TensorInfo, b: TensorInfo, canSwap: boolean) {
  const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  if (outShape.length > ABI.maxNdims || util.sizeFromShape(outShape) === 0) return null;
  const rank = Math.max(outShape.length, 1);
  const outDims = outShape.length === 0 ? [1] : outShape;
  const pad = (shape: number[]) => [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const ap = pad(a.shape), bp = pad(b.shape);
  if (util.arraysEqual(ap, outDims)) return { outShape, outDims, otherDims: bp, swapped: false };
  if (canSwap && util.arraysEqual(bp, outDims)) return { outShape, outDims, otherDims: ap, swapped: true };
  return null;
}

/**
 * A binary kernel on oneDNN; `swappedOp` is the op computing the same result with a and b
 * exchanged. `Sub` whose first operand is the broadcast one runs as (−b) + a: IEEE 754 defines
 * a − b as a + (−b), signed zeros included, so the result is the cpu kernel's bit for bit.
 */
function makeBinary(ctx: NativeContext, kernelName: string, op: BinaryOp, swappedOp: BinaryOp | null): KernelFunc {
  const boolOut = op === "gt" || op === "lt";
  return ctx.withFallback(kernelName, (args, backend) => {
    const a = input(args, "a"), b = input(args, "b");
    const av = float32Values(backend, a), bv = float32Values(backend, b);
    const layout = av && bv ? binaryLayout(a!, b!, swappedOp !== null || op === "sub") : null;
    if (!av || !bv || !layout) return FALL_BACK;
    const n = util.sizeFromShape(layout.outDims);
    if (op === "sub" && layout.swapped) {
      const out = ctx.output(n);
      for (let i = 0; i < n; i++) out[i] = -bv[i];
      // oneDNN's binary primitive runs in place (dst may be src0).
      binaryPlan(ctx, "add", layout.outDims, layout.otherDims).run([out, av, out]);
      return backend.makeTensorInfo(layout.outShape, "float32", out);
    }
    const out = boolOut ? new Uint8Array(n) : ctx.output(n);
    const [first, second] = layout.swapped ? [bv, av] : [av, bv];
    binaryPlan(ctx, layout.swapped ? swappedOp! : op, layout.outDims, layout.otherDims).run([first, second, out]);
    return backend.makeTensorInfo(layout.outShape, boolOut ? "bool" : "float32", out);
  });
}

/** `Add(a, b)` with broadcasting. */
export function makeAdd(ctx: NativeContext): KernelFunc {
  return makeBinary(ctx, "Add", "add", "add");
}

/** `Sub(a, b)` with broadcasting (a broadcast a runs as (−b) + a, see {@link makeBinary}). */
export function makeSub(ctx: NativeContext): KernelFunc {
  return makeBinary(ctx, "Sub", "sub", null);
}

/** `Multiply(a, b)` with broadcasting. */
export function makeMultiply(ctx: NativeContext): KernelFunc {
  return makeBinary(ctx, "Multiply", "mul", "mul");
}

/**
 * `RealDiv(a, b)`; a must have the output's shape (e.g. Adam's m / denom and v / scalar). IEEE
 * division on both sides, so results are identical to the cpu kernel's, which spends most of an
 * Adam step in per-element broadcast index arithmetic.
 */
export function makeRealDiv(ctx: NativeContext): KernelFunc {
  return makeBinary(ctx, "RealDiv", "div", null);
}

/** `Greater(a, b)` with broadcasting; bool (u8) result as the cpu backend stores it. */
export function makeGreater(ctx: NativeContext): KernelFunc {
  return makeBinary(ctx, "Greater", "gt", "lt");
}

/** `Select(condition, t, e)` when all three have the same shape and t, e are float32. */
export function makeSelect(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Select", (args, backend) => {
    const c = input(args, "condition"), t = input(args, "t"), e = input(args, "e");
    const tv = float32Values(backend, t), ev = float32Values(backend, e);
    if (!c || !tv || !ev || !util.arraysEqual(c.shape, t!.shape) || !util.arraysEqual(t!.shape, e!.shape)) return FALL_BACK;
    const cv = backend.data.get(c.dataId).values as ArrayLike<number>;
    const out = ctx.output(tv.length);
    for (let i = 0; i < out.length; i++) out[i] = cv[i] === 1 ? tv[i] : ev[i];
    return backend.makeTensorInfo(t!.shape, "float32", out);
  });
}

/** `Softmax(logits)` over the last axis, on oneDNN. */
export function makeSoftmax(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Softmax", (args, backend) => {
    const logits = input(args, "logits");
    const xs = float32Values(backend, logits);
    const rank = logits?.shape.length ?? 0;
    const { dim } = args.attrs as { dim: number };
    if (!xs || xs.length === 0 || rank === 0 || (dim !== -1 && dim !== rank - 1)) return FALL_BACK;
    const cols = logits!.shape[rank - 1];
    const out = ctx.output(xs.length);
    softmaxPlan(ctx, xs.length / cols, cols).run([xs, out]);
    return backend.makeTensorInfo(logits!.shape, "float32", out);
  });
}

/** `Transpose(x, perm)` as one oneDNN reorder. */
export function makeTranspose(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Transpose", (args, backend) => {
    const x = input(args, "x");
    const xs = float32Values(backend, x);
    const { perm } = args.attrs as { perm: number[] };
    if (!xs || xs.length === 0 || x!.shape.length === 0 || x!.shape.length > ABI.maxNdims) return FALL_BACK;
    const out = ctx.output(xs.length);
    transposePlan(ctx, x!.shape, perm).run([xs, out]);
    return backend.makeTensorInfo(perm.map((p) => x!.shape[p]), "float32", out);
  });
}

/**
 * Sums a dense [rows, inner] buffer over its rows with float64 accumulators, four rows per pass
 * (one accumulator load/store per four elements; the four-term partial sums of float32 values
 * are exact in float64).
 */
function sumRows(xs: Float32Array, rows: number, inner: number): Float64Array {
  const acc = new Float64Array(inner);
  let r = 0, off = 0;
  for (; r + 4 <= rows; r += 4, off += 4 * inner) {
    for (let j = 0; j < inner; j++) {
      acc[j] += (xs[off + j] + xs[off + inner + j]) + (xs[off + 2 * inner + j] + xs[off + 3 * inner + j]);
    }
  }
  for (; r < rows; r++, off += inner) {
    for (let j = 0; j < inner; j++) acc[j] += xs[off + j];
  }
  return acc;
}

/** Sums each contiguous run of `inner` values of a dense [rows, inner] buffer (float64 accumulator). */
function sumInner(xs: Float32Array, rows: number, inner: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0, off = 0; r < rows; r++, off += inner) {
    let acc = 0;
    for (let j = 0; j < inner; j++) acc += xs[off + j];
    out[r] = acc;
  }
  return out;
}

/**
 * `Sum` of float32 data over a set of leading axes (e.g. a bias gradient over N, H, W of an
 * NHWC tensor, or all axes) or of trailing axes (e.g. per-image norms over H, W, C): one pass
 * with float64 accumulators instead of the cpu kernel's transpose + reduce.
 */
export function makeSum(ctx: NativeContext): KernelFunc {
  return ctx.withFallback("Sum", (args, backend) => {
    const x = input(args, "x");
    const xs = float32Values(backend, x);
    if (!xs) return FALL_BACK;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const shape = x!.shape;
    const axes = util.parseAxisParam(axis, shape).sort((p, q) => p - q);
    const leading = axes.every((a, i) => a === i);
    const trailing = axes.every((a, i) => a === shape.length - axes.length + i);
    if (!leading && !trailing) return FALL_BACK;
    const reducedShape = (kept: number[]) =>
      keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept;
    if (leading) {
      const inner = util.sizeFromShape(shape.slice(axes.length));
      const rows = inner === 0 ? 0 : xs.length / inner;
      return backend.makeTensorInfo(reducedShape(shape.slice(axes.length)), "float32", Float32Array.from(sumRows(xs, rows, inner)));
    }
    const inner = util.sizeFromShape(shape.slice(shape.length - axes.length));
    const rows = util.sizeFromShape(shape.slice(0, shape.length - axes.length));
    const out = inner === 0 ? new Float32Array(rows) : sumInner(xs, rows, inner);
    return backend.makeTensorInfo(reducedShape(shape.slice(0, shape.length - axes.length)), "float32", out);
  });
}
