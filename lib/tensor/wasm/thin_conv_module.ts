/**
 * Direct SIMD128 convolutions for thin layers (few input channels, e.g. VanillaNet's first
 * layer 3 → 32), assembled at run time and specialised for one (cin, cout) pair, working on the
 * wasm backend's heap. XNNPACK runs these at a third of its speed on wide layers: its GEMM tiles
 * are mostly empty when the reduction is only kh·kw·cin = 27 deep.
 *
 * - `forward(y, x, w, bias, n, h, wd, oh, ow, pt, pl, kh, kw, alpha)`: stride-1 NHWC convolution
 *   with HWIO filter, zero padding `pt` rows on top and `pl` columns on the left (bottom/right
 *   follow from `oh`, `ow`), then `+ bias` and leaky ReLU (`v > 0 ? v : alpha·v`). Each output
 *   pixel keeps its `cout` sums in v128 locals over the kh·kw·cin taps (ci unrolled), so the input
 *   is read once per tap and the filter stays in L1.
 * - `inputGrad(dx, dy, w, n, h, wd, oh, ow, pt, pl, kh, kw)`: ∂L/∂x of that convolution,
 *   `dx[p, ci] = Σ_{a,b} Σ_co dy[p + pad − (a, b), co] · w[a, b, ci, co]`, vectorised over co with
 *   two accumulators per input channel, summed across lanes at the end.
 * - `filterGrad(acc, x, dy, n, oh, ow, kh, kw, h, wd, pt, pl, t0, t1)`: the stride-1 filter gradient
 *   `acc[a, b, ci, co] += Σ x[n, r+a−pt, w+b−pl, ci] · dy[n, r, w, co]` over the unpadded input
 *   (taps in the zero border skipped), for taps t = a·kw + b in [t0, t1) (disjoint gradient
 *   rows: threads split them); per output row, each (a, b, ci) row of the gradient sums the
 *   row's pixels in registers (dy's row stays in L1 for all kh·kw·cin of them), then adds them
 *   to `acc`.
 *
 * Sums are formed tap by tap from zero (bias added last), so results differ from the cpu
 * backend only in float32 rounding (≤ 1e-5 relative, tested). With `fma` the multiply-adds are
 * `f32x4.relaxed_madd`, which V8 emits as one fused instruction where the CPU has FMA: faster,
 * and the last bits differ from the unfused version (still ≤ 1e-5 vs cpu).
 *
 * @example
 * ```ts ignore
 * const k = thinConvKernelsFor(memory, 3, 32);
 * k.forward(yAddr, xAddr, wAddr, biasAddr, 100, 32, 32, 32, 32, 1, 1, 3, 3, 0.05);
 * ```
 * @module
 */
import { funcBody, name, section, SIMD, sleb, T, uleb, vec, WASM_HEADER } from "./wasm_encoding.ts";
import { readEnvSwitch } from "../../util/env.ts";
import { THIN_MAX_CIN, THIN_MAX_COUT } from "../kernels/kernel_names.ts";

/** The two kernels of one (cin, cout) specialisation, bound to one heap. */
export interface ThinConvKernels {
  forward(y: number, x: number, w: number, bias: number, n: number, h: number, wd: number, oh: number, ow: number, pt: number, pl: number, kh: number, kw: number, alpha: number): void;
  inputGrad(dx: number, dy: number, w: number, n: number, h: number, wd: number, oh: number, ow: number, pt: number, pl: number, kh: number, kw: number): void;
  filterGrad(acc: number, x: number, dy: number, n: number, oh: number, ow: number, kh: number, kw: number, h: number, wd: number, pt: number, pl: number, t0: number, t1: number): void;
  /** True when the multiply-adds are relaxed-SIMD FMAs. */
  fma: boolean;
}


const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const [ADD, SUB, MUL, GT_S, LT_S, GE_S, SELECT] = [[0x6a], [0x6b], [0x6c], [0x4a], [0x48], [0x4e], [0x1b]];
const memarg = (align: number, offset: number) => [align, ...uleb(offset)];
const v128Load = (offset: number) => [SIMD, 0x00, ...memarg(4, offset)];
const v128Store = (offset: number) => [SIMD, 0x0b, ...memarg(4, offset)];
const load32Splat = (offset: number) => [SIMD, 0x09, ...memarg(2, offset)];
const f32Store = (offset: number) => [0x38, ...memarg(2, offset)];
const F32X4_ADD = [SIMD, 0xe4, 0x01], F32X4_MUL = [SIMD, 0xe6, 0x01], F32X4_GT = [SIMD, 0x44];
const F32X4_SPLAT = [SIMD, 0x13], BITSELECT = [SIMD, 0x52], F32_ADD = [0x92];
const V128_ZERO = [SIMD, 0x0c, ...new Array(16).fill(0)];
const RELAXED_MADD = [SIMD, 0x85, 0x02]; // f32x4.relaxed_madd (0x105): a·b + c
const extractLane = (lane: number) => [SIMD, 0x1f, lane];
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], END = [0x0b];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const br = (d: number) => [0x0c, ...uleb(d)];

/** `for (i = from; i < end; i++) body` over i32 locals (signed compare). */
function forLoop(i: number, from: number[], end: number, body: number[]): number[] {
  return [
    ...from, ...set(i),
    ...BLOCK, ...LOOP,
    ...get(i), ...get(end), ...GE_S, ...brIf(1),
    ...body,
    ...get(i), ...i32(1), ...ADD, ...set(i),
    ...br(0), ...END, ...END,
  ];
}

/** max(0, value) and min(limit, value) as i32 expressions. */
const max0 = (value: number[]) => [...value, ...i32(0), ...value, ...i32(0), ...GT_S, ...SELECT];
const minOf = (limit: number[], value: number[]) => [...value, ...limit, ...value, ...limit, ...LT_S, ...SELECT];

/** acc += a·b: one relaxed FMA, or mul then add. Stack: a, b on top of nothing; acc local. */
function madd(acc: number, a: number[], b: number[], fma: boolean): number[] {
  return fma ? [...a, ...b, ...get(acc), ...RELAXED_MADD, ...set(acc)] : [...get(acc), ...a, ...b, ...F32X4_MUL, ...F32X4_ADD, ...set(acc)];
}

/** Output-channel blocks of at most 8 vectors (32 channels): [first vector, vector count]. */
function coutBlocks(cout: number): [number, number][] {
  const blocks: [number, number][] = [];
  for (let g = 0; g < cout / 4; g += 8) blocks.push([g, Math.min(8, cout / 4 - g)]);
  return blocks;
}

/**
 * forward. Params 0–13: y, x, w, bias, n, h, wd, oh, ow, pt, pl, kh, kw, alpha (f32).
 * Locals: 14 img, 15 oy, 16 ox, 17 a, 18 a1, 19 b, 20 b0, 21 b1, 22 pixel (address of
 * x[img, oy − pt, ox − pl, 0], may lie outside x: only valid taps are read), 23 xTap, 24 wTap,
 * 25 yp (output pointer), 26 a0; v128: 27 alpha splat, 28 s, 29… accumulators.
 */
function forwardBody(cin: number, cout: number, fma: boolean): number[] {
  const [Y, X, W, BIAS, N, H, WD, OH, OW, PT, PL, KH, KW, ALPHA] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [IMG, OY, OX, A, A1, B, B0, B1, PIX, XT, WT, YP, A0] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
  const [ALPHA4, S, ACC] = [27, 28, 29];
  const rowBytes = cin * 4, tapBytes = cin * cout * 4;
  const block = ([g0, count]: [number, number]): number[] => {
    const zero = Array.from({ length: count }, (_, g) => [...V128_ZERO, ...set(ACC + g)]).flat();
    const tap = [
      // xTap = pixel + (a·wd + b)·cin·4 ; wTap = w + (a·kw + b)·cin·cout·4
      ...get(PIX), ...get(A), ...get(WD), ...MUL, ...get(B), ...ADD, ...i32(rowBytes), ...MUL, ...ADD, ...set(XT),
      ...get(W), ...get(A), ...get(KW), ...MUL, ...get(B), ...ADD, ...i32(tapBytes), ...MUL, ...ADD, ...set(WT),
      ...Array.from({ length: cin }, (_, ci) => [
        ...get(XT), ...load32Splat(ci * 4), ...set(S),
        ...Array.from({ length: count }, (_, g) => madd(ACC + g, get(S), [...get(WT), ...v128Load((ci * cout + 4 * (g0 + g)) * 4)], fma)).flat(),
      ]).flat(),
    ];
    const store = Array.from({ length: count }, (_, g) => [
      ...get(ACC + g), ...get(BIAS), ...v128Load(4 * (g0 + g) * 4), ...F32X4_ADD, ...set(S),
      ...get(YP),
      ...get(S), ...get(S), ...get(ALPHA4), ...F32X4_MUL, ...get(S), ...V128_ZERO, ...F32X4_GT, ...BITSELECT,
      ...v128Store(4 * (g0 + g) * 4),
    ]).flat();
    return [...zero, ...forLoop(A, get(A0), A1, forLoop(B, get(B0), B1, tap)), ...store];
  };
  const pixel = [
    // pixel = x + ((img·h + oy − pt)·wd + ox − pl)·cin·4 (wraps for border pixels; only in-range taps are read)
    ...get(X), ...get(IMG), ...get(H), ...MUL, ...get(OY), ...ADD, ...get(PT), ...SUB, ...get(WD), ...MUL, ...get(OX), ...ADD, ...get(PL), ...SUB, ...i32(rowBytes), ...MUL, ...ADD, ...set(PIX),
    // b ∈ [max(0, pl − ox), min(kw, wd + pl − ox))
    ...max0([...get(PL), ...get(OX), ...SUB]), ...set(B0),
    ...minOf(get(KW), [...get(WD), ...get(PL), ...ADD, ...get(OX), ...SUB]), ...set(B1),
    ...coutBlocks(cout).flatMap(block),
    ...get(YP), ...i32(cout * 4), ...ADD, ...set(YP),
  ];
  const code = [
    ...get(ALPHA), ...F32X4_SPLAT, ...set(ALPHA4),
    ...get(Y), ...set(YP),
    ...forLoop(IMG, i32(0), N, forLoop(OY, i32(0), OH, [
      // a ∈ [max(0, pt − oy), min(kh, h + pt − oy))
      ...max0([...get(PT), ...get(OY), ...SUB]), ...set(A0),
      ...minOf(get(KH), [...get(H), ...get(PT), ...ADD, ...get(OY), ...SUB]), ...set(A1),
      ...forLoop(OX, i32(0), OW, pixel),
    ])),
    ...END,
  ];
  return funcBody([[13, T.i32], [2 + 8, T.v128]], code);
}

/**
 * inputGrad. Params 0–11: dx, dy, w, n, h, wd, oh, ow, pt, pl, kh, kw. Locals: 12 img, 13 iy,
 * 14 ix, 15 a, 16 a0, 17 a1, 18 b, 19 b0, 20 b1, 21 origin (address of dy[img, iy + pt, ix + pl, 0],
 * may lie outside dy), 22 dyTap, 23 wTap, 24 dxp (output pointer); v128: 25 d, 26… accumulators
 * (two per input channel: even and odd channel groups, for shorter add chains).
 */
function inputGradBody(cin: number, cout: number, fma: boolean): number[] {
  const [DX, DY, W, N, H, WD, OH, OW, PT, PL, KH, KW] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [IMG, IY, IX, A, A0, A1, B, B0, B1, ORG, DT, WT, DXP] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  const [D, ACC] = [25, 26];
  const acc = (ci: number, parity: number) => ACC + 2 * ci + parity;
  const pixelBytes = cout * 4, tapBytes = cin * cout * 4;
  const tap = [
    // dyTap = origin − (a·ow + b)·cout·4 ; wTap = w + (a·kw + b)·cin·cout·4
    ...get(ORG), ...get(A), ...get(OW), ...MUL, ...get(B), ...ADD, ...i32(pixelBytes), ...MUL, ...SUB, ...set(DT),
    ...get(W), ...get(A), ...get(KW), ...MUL, ...get(B), ...ADD, ...i32(tapBytes), ...MUL, ...ADD, ...set(WT),
    ...Array.from({ length: cout / 4 }, (_, g) => [
      ...get(DT), ...v128Load(g * 16), ...set(D),
      ...Array.from({ length: cin }, (_, ci) => madd(acc(ci, g % 2), get(D), [...get(WT), ...v128Load((ci * cout + 4 * g) * 4)], fma)).flat(),
    ]).flat(),
  ];
  const zero = Array.from({ length: 2 * cin }, (_, k) => [...V128_ZERO, ...set(ACC + k)]).flat();
  const store = Array.from({ length: cin }, (_, ci) => [
    ...get(DXP),
    ...get(acc(ci, 0)), ...get(acc(ci, 1)), ...F32X4_ADD, ...set(D),
    ...get(D), ...extractLane(0), ...get(D), ...extractLane(1), ...F32_ADD,
    ...get(D), ...extractLane(2), ...get(D), ...extractLane(3), ...F32_ADD, ...F32_ADD,
    ...f32Store(ci * 4),
  ]).flat();
  const pixel = [
    ...get(DY), ...get(IMG), ...get(OH), ...MUL, ...get(IY), ...ADD, ...get(PT), ...ADD, ...get(OW), ...MUL, ...get(IX), ...ADD, ...get(PL), ...ADD, ...i32(pixelBytes), ...MUL, ...ADD, ...set(ORG),
    // b ∈ [max(0, ix + pl − ow + 1), min(kw, ix + pl + 1))
    ...max0([...get(IX), ...get(PL), ...ADD, ...get(OW), ...SUB, ...i32(1), ...ADD]), ...set(B0),
    ...minOf(get(KW), [...get(IX), ...get(PL), ...ADD, ...i32(1), ...ADD]), ...set(B1),
    ...zero,
    ...forLoop(A, get(A0), A1, forLoop(B, get(B0), B1, tap)),
    ...store,
    ...get(DXP), ...i32(cin * 4), ...ADD, ...set(DXP),
  ];
  const code = [
    ...get(DX), ...set(DXP),
    ...forLoop(IMG, i32(0), N, forLoop(IY, i32(0), H, [
      ...max0([...get(IY), ...get(PT), ...ADD, ...get(OH), ...SUB, ...i32(1), ...ADD]), ...set(A0),
      ...minOf(get(KH), [...get(IY), ...get(PT), ...ADD, ...i32(1), ...ADD]), ...set(A1),
      ...forLoop(IX, i32(0), WD, pixel),
    ])),
    ...END,
  ];
  return funcBody([[13, T.i32], [1 + 2 * cin, T.v128]], code);
}

/**
 * filterGrad. Params 0–13: acc, x, dy, n, oh, ow, kh, kw, h, wd, pt, pl (x unpadded: taps in
 * the zero border are skipped), t0, t1 (taps a·kw + b in [t0, t1) only). Locals: 14 img,
 * 15 r (output row), 16 a, 17 b, 18 w, 19 dyRow, 20 xBase (address of
 * x[img, r + a − pt, w0 + b − pl, 0]), 21 xq, 22 dq (running pointers), 23 accRow, 24 a0, 25 a1,
 * 26 w0, 27 w1; v128: 28 s, 29… accumulators.
 */
function filterGradBody(cin: number, cout: number, fma: boolean): number[] {
  const [ACCP, X, DY, N, OH, OW, KH, KW, H, WD, PT, PL, T0, T1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [IMG, R, A, B, W, DYROW, XBASE, XQ, DQ, ACCROW, A0, A1, W0, W1] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
  const [S, ACC] = [28, 29];
  const pixelBytes = cout * 4;
  const row = (ci: number, [g0, count]: [number, number]): number[] => [
    ...Array.from({ length: count }, (_, g) => [...V128_ZERO, ...set(ACC + g)]).flat(),
    ...get(XBASE), ...set(XQ), ...get(DYROW), ...get(W0), ...i32(pixelBytes), ...MUL, ...ADD, ...set(DQ),
    ...forLoop(W, get(W0), W1, [
      ...get(XQ), ...load32Splat(ci * 4), ...set(S),
      ...Array.from({ length: count }, (_, g) => madd(ACC + g, get(S), [...get(DQ), ...v128Load(4 * (g0 + g) * 4)], fma)).flat(),
      ...get(XQ), ...i32(cin * 4), ...ADD, ...set(XQ),
      ...get(DQ), ...i32(pixelBytes), ...ADD, ...set(DQ),
    ]),
    // accRow = acc + ((a·kw + b)·cin + ci)·cout·4
    ...get(ACCP), ...get(A), ...get(KW), ...MUL, ...get(B), ...ADD, ...i32(cin), ...MUL, ...i32(ci), ...ADD, ...i32(pixelBytes), ...MUL, ...ADD, ...set(ACCROW),
    ...Array.from({ length: count }, (_, g) => [
      ...get(ACCROW), ...get(ACCROW), ...v128Load(4 * (g0 + g) * 4), ...get(ACC + g), ...F32X4_ADD, ...v128Store(4 * (g0 + g) * 4),
    ]).flat(),
  ];
  const tap = [
    // w ∈ [max(0, pl − b), min(ow, wd + pl − b))
    ...max0([...get(PL), ...get(B), ...SUB]), ...set(W0),
    ...minOf(get(OW), [...get(WD), ...get(PL), ...ADD, ...get(B), ...SUB]), ...set(W1),
    // xBase = x + ((img·h + r + a − pt)·wd + w0 + b − pl)·cin·4
    ...get(X), ...get(IMG), ...get(H), ...MUL, ...get(R), ...ADD, ...get(A), ...ADD, ...get(PT), ...SUB, ...get(WD), ...MUL,
    ...get(W0), ...ADD, ...get(B), ...ADD, ...get(PL), ...SUB, ...i32(cin * 4), ...MUL, ...ADD, ...set(XBASE),
    ...Array.from({ length: cin }, (_, ci) => coutBlocks(cout).flatMap((block) => row(ci, block))).flat(),
  ];
  const code = [
    ...forLoop(IMG, i32(0), N, forLoop(R, i32(0), OH, [
      // dyRow = dy + (img·oh + r)·ow·cout·4 ; a ∈ [max(0, pt − r), min(kh, h + pt − r))
      ...get(DY), ...get(IMG), ...get(OH), ...MUL, ...get(R), ...ADD, ...get(OW), ...MUL, ...i32(pixelBytes), ...MUL, ...ADD, ...set(DYROW),
      ...max0([...get(PT), ...get(R), ...SUB]), ...set(A0),
      ...minOf(get(KH), [...get(H), ...get(PT), ...ADD, ...get(R), ...SUB]), ...set(A1),
      ...forLoop(A, get(A0), A1, forLoop(B, i32(0), KW, [
        // only taps t = a·kw + b in [t0, t1): threads split the gradient's rows by tap
        ...BLOCK,
        ...get(A), ...get(KW), ...MUL, ...get(B), ...ADD, ...get(T0), ...LT_S, ...brIf(0),
        ...get(A), ...get(KW), ...MUL, ...get(B), ...ADD, ...get(T1), ...GE_S, ...brIf(0),
        ...tap,
        ...END,
      ])),
    ])),
    ...END,
  ];
  return funcBody([[14, T.i32], [1 + 8, T.v128]], code);
}

function moduleBytes(cin: number, cout: number, fma: boolean, shared: boolean): Uint8Array<ArrayBuffer> {
  const memoryType = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  return new Uint8Array([
    ...WASM_HEADER,
    ...section(1, vec([
      [0x60, 14, ...new Array(13).fill(T.i32), T.f32, 0],
      [0x60, 12, ...new Array(12).fill(T.i32), 0],
      [0x60, 14, ...new Array(14).fill(T.i32), 0],
    ])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...memoryType]])),
    ...section(3, vec([[0], [1], [2]])),
    ...section(7, vec([[...name("forward"), 0x00, 0], [...name("inputGrad"), 0x00, 1], [...name("filterGrad"), 0x00, 2]])),
    ...section(10, vec([forwardBody(cin, cout, fma), inputGradBody(cin, cout, fma), filterGradBody(cin, cout, fma)])),
  ]);
}

let relaxed: boolean | undefined;

/**
 * True when this engine validates relaxed-SIMD `f32x4.relaxed_madd` (V8 in Deno 2.9 does).
 *
 * @example
 * ```ts
 * if (!relaxedSimdAvailable()) console.log("thin convs use mul + add");
 * ```
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = WebAssembly.validate(moduleBytes(1, 4, true, false));
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/** The env var that turns relaxed-SIMD FMAs off ("0"); anything else leaves them on where available. */
export const WASM_FMA_ENV = "EBM_WASM_FMA";

/**
 * Whether thin kernels use relaxed-SIMD FMAs: available, and not turned off by `EBM_WASM_FMA=0`.
 *
 * @example
 * ```ts ignore
 * thinConvKernelsFor(memory, 3, 32, useFma());
 * ```
 */
export function useFma(): boolean {
  return readEnvSwitch(WASM_FMA_ENV) !== false && relaxedSimdAvailable();
}

const compiled = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<string, ThinConvKernels>>();

/**
 * The kernels for `cin` input and `cout` output channels bound to `memory` (built and
 * instantiated once per memory and shape). `fma` defaults to {@link relaxedSimdAvailable}.
 *
 * @example
 * ```ts ignore
 * const { forward, inputGrad } = thinConvKernelsFor(memory, 3, 32);
 * ```
 */
export function thinConvKernelsFor(memory: WebAssembly.Memory, cin: number, cout: number, fma = relaxedSimdAvailable()): ThinConvKernels {
  if (!Number.isInteger(cin) || cin < 1 || cin > THIN_MAX_CIN) throw new Error(`Cannot build thin conv kernels: cin must be 1…${THIN_MAX_CIN}, got ${cin}`);
  if (!Number.isInteger(cout) || cout < 4 || cout > THIN_MAX_COUT || cout % 4 !== 0) {
    throw new Error(`Cannot build thin conv kernels: cout must be a multiple of 4 in 4…${THIN_MAX_COUT}, got ${cout}`);
  }
  if (fma && !relaxedSimdAvailable()) throw new Error("Cannot build thin conv kernels with fma: this engine rejects relaxed SIMD");
  let byShape = instances.get(memory);
  if (byShape === undefined) instances.set(memory, byShape = new Map());
  const key = `${cin}/${cout}/${fma}`;
  let kernels = byShape.get(key);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const moduleKey = `${key}/${shared}`;
    let module = compiled.get(moduleKey);
    if (module === undefined) compiled.set(moduleKey, module = new WebAssembly.Module(moduleBytes(cin, cout, fma, shared)));
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    kernels = {
      forward: exports.forward as ThinConvKernels["forward"],
      inputGrad: exports.inputGrad as ThinConvKernels["inputGrad"],
      filterGrad: exports.filterGrad as ThinConvKernels["filterGrad"],
      fma,
    };
    byShape.set(key, kernels);
  }
  return kernels;
}
