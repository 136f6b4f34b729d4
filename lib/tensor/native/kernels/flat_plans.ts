/**
 * oneDNN plans for elementwise-style kernels: leaky ReLU (eltwise), broadcasting binary ops
 * (add, sub, mul, div, max, greater-than with a u8 result), softmax over the last axis and transposes
 * (as reorders). Vectorised and, for large tensors, multi-threaded, unlike the cpu backend's
 * per-element index arithmetic.
 *
 * @example
 * ```ts ignore
 * const plan = leakyReluPlan(ctx, x.length, 0.05);
 * plan.run([x, out]);
 * ```
 * @module
 */
import { ABI } from "../abi.ts";
import { MEMORY_BOUND_WORK_PER_ELEMENT, Plan } from "../dnnl.ts";
import type { NativeContext } from "./context.ts";

/** y = x < 0 ? alpha·x : x over `n` floats; slots: x, y. */
export function leakyReluPlan(ctx: NativeContext, n: number, alpha: number): Plan {
  return ctx.plan(`LeakyReluFlat|${n}|${alpha}`, () => {
    const { dnnl } = ctx;
    const md = dnnl.denseDesc([n]);
    const op = new Uint8Array(ABI.sizes.eltwiseDesc);
    dnnl.check(
      dnnl.lib.symbols.dnnl_eltwise_forward_desc_init(op, ABI.propKind.forwardInference, ABI.algKind.eltwiseRelu, md, alpha, 0),
      `dnnl_eltwise_forward_desc_init (leaky relu, n=${n}, alpha=${alpha})`,
    );
    const primitive = dnnl.primitive(op, "LeakyRelu", { work: n * MEMORY_BOUND_WORK_PER_ELEMENT });
    const plan = new Plan(dnnl);
    const x = plan.slotMemory(plan.addSlot(md));
    const y = plan.slotMemory(plan.addSlot(md));
    plan.addStep(primitive, [[ABI.arg.src, x], [ABI.arg.dst, y]]);
    return plan;
  });
}

/**
 * out = dy · (x > 0 ? 1 : alpha) over `n` floats: oneDNN's leaky-ReLU backward. With dy = 1 it
 * is tfjs's `Step(x, alpha)`. Slots: x, dy, out.
 */
export function leakyReluBackwardPlan(ctx: NativeContext, n: number, alpha: number): Plan {
  return ctx.plan(`LeakyReluBackwardFlat|${n}|${alpha}`, () => {
    const { dnnl } = ctx;
    const md = dnnl.denseDesc([n]);
    const forward = new Uint8Array(ABI.sizes.eltwiseDesc);
    dnnl.check(
      dnnl.lib.symbols.dnnl_eltwise_forward_desc_init(forward, ABI.propKind.forwardTraining, ABI.algKind.eltwiseRelu, md, alpha, 0),
      `dnnl_eltwise_forward_desc_init (leaky relu hint, n=${n})`,
    );
    const hint = dnnl.primitive(forward, "LeakyRelu (hint)");
    const backward = new Uint8Array(ABI.sizes.eltwiseDesc);
    dnnl.check(
      dnnl.lib.symbols.dnnl_eltwise_backward_desc_init(backward, ABI.algKind.eltwiseRelu, md, md, alpha, 0),
      `dnnl_eltwise_backward_desc_init (leaky relu, n=${n})`,
    );
    const primitive = dnnl.primitive(backward, "LeakyReluGrad", { hint: hint.pd, work: n * MEMORY_BOUND_WORK_PER_ELEMENT });
    const plan = new Plan(dnnl);
    const x = plan.slotMemory(plan.addSlot(md));
    const dy = plan.slotMemory(plan.addSlot(md));
    const out = plan.slotMemory(plan.addSlot(md));
    plan.addStep(primitive, [[ABI.arg.src, x], [ABI.arg.diffDst, dy], [ABI.arg.diffSrc, out]]);
    return plan;
  });
}

/** Which binary operation a plan computes. */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "max" | "gt" | "lt";

const BINARY_ALGS: Record<BinaryOp, number> = {
  add: ABI.algKind.binaryAdd,
  sub: ABI.algKind.binarySub,
  mul: ABI.algKind.binaryMul,
  div: ABI.algKind.binaryDiv,
  max: ABI.algKind.binaryMax,
  gt: ABI.algKind.binaryGt,
  lt: ABI.algKind.binaryLt,
};

/**
 * out = a (op) b where a has the output's dims and every dim of b equals a's or is 1 (oneDNN
 * broadcasts src1 only). `gt`/`lt` write u8 0/1 (tfjs's bool storage), the others f32.
 * Slots: a, b, out.
 */
export function binaryPlan(ctx: NativeContext, op: BinaryOp, outDims: number[], bDims: number[]): Plan {
  return ctx.plan(`Binary|${op}|${outDims}|${bDims}`, () => {
    const { dnnl } = ctx;
    const aMd = dnnl.denseDesc(outDims);
    const bMd = dnnl.denseDesc(bDims);
    const outMd = op === "gt" || op === "lt" ? dnnl.stridedDesc(outDims, denseStrides(outDims), ABI.dataType.u8) : dnnl.denseDesc(outDims);
    const desc = new Uint8Array(ABI.sizes.binaryDesc);
    dnnl.check(
      dnnl.lib.symbols.dnnl_binary_desc_init(desc, BINARY_ALGS[op], aMd, bMd, outMd),
      `dnnl_binary_desc_init (${op}, [${outDims}] with [${bDims}])`,
    );
    const primitive = dnnl.primitive(desc, `binary ${op}`, { work: size(outDims) * MEMORY_BOUND_WORK_PER_ELEMENT });
    const plan = new Plan(dnnl);
    const a = plan.slotMemory(plan.addSlot(aMd));
    const b = plan.slotMemory(plan.addSlot(bMd));
    const out = plan.slotMemory(plan.addSlot(outMd));
    plan.addStep(primitive, [[ABI.arg.src, a], [ABI.arg.src1, b], [ABI.arg.dst, out]]);
    return plan;
  });
}

/** Softmax over the last axis of a dense [rows, cols] buffer; slots: x, y. */
export function softmaxPlan(ctx: NativeContext, rows: number, cols: number): Plan {
  return ctx.plan(`Softmax|${rows}|${cols}`, () => {
    const { dnnl } = ctx;
    const md = dnnl.denseDesc([rows, cols]);
    const desc = new Uint8Array(ABI.sizes.softmaxDesc);
    dnnl.check(
      dnnl.lib.symbols.dnnl_softmax_forward_desc_init(desc, ABI.propKind.forwardInference, md, 1),
      `dnnl_softmax_forward_desc_init ([${rows}, ${cols}])`,
    );
    // exp dominates: count it as ~10 operations per element for the threading decision.
    const primitive = dnnl.primitive(desc, "Softmax", { work: 10 * rows * cols });
    const plan = new Plan(dnnl);
    const x = plan.slotMemory(plan.addSlot(md));
    const y = plan.slotMemory(plan.addSlot(md));
    plan.addStep(primitive, [[ABI.arg.src, x], [ABI.arg.dst, y]]);
    return plan;
  });
}

/** out = transpose(x, perm) as one reorder from x's strides to a dense result; slots: x, out. */
export function transposePlan(ctx: NativeContext, xShape: number[], perm: number[]): Plan {
  return ctx.plan(`Transpose|${xShape}|${perm}`, () => {
    const { dnnl } = ctx;
    const xStrides = denseStrides(xShape);
    const outDims = perm.map((p) => xShape[p]);
    const fromMd = dnnl.stridedDesc(outDims, perm.map((p) => xStrides[p]));
    const toMd = dnnl.denseDesc(outDims);
    const plan = new Plan(dnnl);
    const from = plan.addSlot(fromMd);
    const to = plan.addSlot(toMd);
    const reorder = dnnl.reorder(Deno.UnsafePointer.of(fromMd), Deno.UnsafePointer.of(toMd), size(outDims) * MEMORY_BOUND_WORK_PER_ELEMENT);
    plan.addStep(reorder, [[ABI.arg.from, plan.slotMemory(from)], [ABI.arg.to, plan.slotMemory(to)]]);
    return plan;
  });
}

/** Row-major strides of `dims`. */
export function denseStrides(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length);
  let stride = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= dims[i];
  }
  return strides;
}

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * dx = y > 0 ? dy : alpha·dy over `n` floats, from the forward output y (oneDNN's
 * `relu_use_dst_for_bwd`, valid for alpha ≥ 0). Slots: y, dy, dx.
 */
export function leakyReluBackwardFromOutputPlan(ctx: NativeContext, n: number, alpha: number): Plan {
  return ctx.plan(`LeakyReluBackwardFromOutput|${n}|${alpha}`, () => {
    const { dnnl } = ctx;
    const md = dnnl.denseDesc([n]);
    const alg = ABI.algKind.eltwiseReluUseDstForBwd;
    const forward = new Uint8Array(ABI.sizes.eltwiseDesc);
    dnnl.check(
      dnnl.lib.symbols.dnnl_eltwise_forward_desc_init(forward, ABI.propKind.forwardTraining, alg, md, alpha, 0),
      `dnnl_eltwise_forward_desc_init (leaky relu from output, hint, n=${n}, alpha=${alpha})`,
    );
    const hint = dnnl.primitive(forward, "LeakyRelu from output (hint)");
    const backward = new Uint8Array(ABI.sizes.eltwiseDesc);
    dnnl.check(
      dnnl.lib.symbols.dnnl_eltwise_backward_desc_init(backward, alg, md, md, alpha, 0),
      `dnnl_eltwise_backward_desc_init (leaky relu from output, n=${n}, alpha=${alpha})`,
    );
    const primitive = dnnl.primitive(backward, "LeakyReluGradFromOutput", { hint: hint.pd, work: n * MEMORY_BOUND_WORK_PER_ELEMENT });
    const plan = new Plan(dnnl);
    const y = plan.slotMemory(plan.addSlot(md));
    const dy = plan.slotMemory(plan.addSlot(md));
    const dx = plan.slotMemory(plan.addSlot(md));
    plan.addStep(primitive, [[ABI.arg.dst, y], [ABI.arg.diffDst, dy], [ABI.arg.diffSrc, dx]]);
    return plan;
  });
}
