/**
 * A tiny WebAssembly SIMD module, assembled at run time, that works directly on the wasm
 * backend's heap (it imports tfjs's own memory, shared or not). For element-wise passes that
 * tfjs-wasm has no single kernel for, this runs 4 lanes per instruction where a JS loop over
 * heap views runs one element at a time through bounds checks and float64 conversions
 * (measured ~10× slower on a 100×32×32×32 activation).
 *
 * Kernels (addresses are byte offsets into the heap, counts in elements):
 * - `leakyGrad(dx, y, dy, n, alpha)`: `dx = y ≤ 0 ? alpha·dy : dy` (NaN in y passes dy);
 * - `interleave2(dst, a, b, rows, rowBytes)`: dst = a₀ b₀ a₁ b₁ … (rows of `rowBytes` bytes),
 *   i.e. stacking two tensors on a new axis after their leading `rows` axes, with `memory.copy`;
 * - `thinFilterGrad(acc, xp, dy, n, oh, ow, kh, kw, cin, cout, wp)`: the stride-1 filter gradient
 *   `acc[a, b, ci, co] += Σ xp[n, h+a, w+b, ci] · dy[n, h, w, co]` (xp already padded, `wp` its
 *   width; `cout` a multiple of 4), accumulated pixel by pixel in float32 like a GEMM over them;
 * - `swapOuterInner(dst, src, a, m, c, srcStrideA, dstStrideC)`: [a, m, c] → [c, m, a] (a and c
 *   multiples of 4), in 4×4 blocks transposed with shuffles: the filter gradient's batch↔channel
 *   transpose. Strides (bytes) between consecutive a in src and consecutive c in dst let a call
 *   move one image row into a padded layout (`m·c·4` and `m·a·4` when dense);
 * - `swapRows(dst, src, a, w, c, srcStrideA, dstStrideC, y0, y1, dstRowBytes, srcRowBytes)`:
 *   `swapOuterInner` for each image row y in [y0, y1) (m = w), at `dst + y·dstRowBytes` and
 *   `src + y·srcRowBytes`: the swap into a zero-padded layout, splittable by rows;
 * - `swapOuterRows(dst, src, a, b, rowBytes)`: [a, b, row] → [b, a, row] with one `memory.copy`
 *   per row (the filter gradient's dy and output transposes);
 * - `sumRows(acc, src, rows, cols)`: `acc[j] += Σ_r src[r, j]` with float64 accumulators `acc`
 *   (8-byte aligned), each column summed row by row in order (bias gradients): the float32
 *   values are widened exactly, so this equals a float64 JS loop bit for bit.
 *
 * @example
 * ```ts ignore
 * const kernels = simdKernelsFor(memory);
 * kernels.leakyGrad(dxOffset, yOffset, dyOffset, size, 0.05);
 * ```
 * @module
 */
import { funcBody, name, section, SIMD, T, uleb, vec, WASM_HEADER } from "./wasm_encoding.ts";

/** The kernels of one instance, bound to one heap. */
export interface SimdKernels {
  leakyGrad(dx: number, y: number, dy: number, n: number, alpha: number): void;
  interleave2(dst: number, a: number, b: number, rows: number, rowBytes: number): void;
  thinFilterGrad(acc: number, xp: number, dy: number, n: number, oh: number, ow: number, kh: number, kw: number, cin: number, cout: number, wp: number): void;
  swapOuterInner(dst: number, src: number, a: number, m: number, c: number, srcStrideA: number, dstStrideC: number): void;
  sumRows(acc: number, src: number, rows: number, cols: number): void;
  swapOuterRows(dst: number, src: number, a: number, b: number, rowBytes: number): void;
  swapRows(dst: number, src: number, a: number, w: number, c: number, srcStrideA: number, dstStrideC: number, y0: number, y1: number, dstRowBytes: number, srcRowBytes: number): void;
}

const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...uleb(v)], // non-negative constants only
  i32Add: [0x6a], i32Shl: [0x74], i32And: [0x71], i32LtU: [0x49],
  f32Load: (offset = 0) => [0x2a, 2, ...uleb(offset)],
  f32Store: [0x38, 2, 0],
  f32Mul: [0x94], f32Le: [0x5f], f32Const0: [0x43, 0, 0, 0, 0],
  select: [0x1b],
  v128Load: [SIMD, 0x00, 4, 0],
  v128Store: [SIMD, 0x0b, 4, 0],
  f32x4Splat: [SIMD, 0x13],
  f32x4Le: [SIMD, 0x45],
  f32x4Mul: [SIMD, 0xe6, 0x01],
  f32x4Add: [SIMD, 0xe4, 0x01],
  v128Bitselect: [SIMD, 0x52],
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  i32Eqz: [0x45],
  i32GeU: [0x4f],
  i32Sub: [0x6b],
  memoryCopy: [0xfc, 0x0a, 0x00, 0x00],
};

/**
 * interleave2(dst, a, b, rows, rowBytes). Locals: 0 dst, 1 a, 2 b, 3 rows (counts down),
 * 4 rowBytes. Each round copies one row of a, then one of b, and advances the pointers.
 */
function interleave2Body(): number[] {
  const [DST, A, B, ROWS, LEN] = [0, 1, 2, 3, 4];
  const advance = (local: number, times: number) => [
    ...op.localGet(local), ...op.localGet(LEN), ...(times === 2 ? [...op.localGet(LEN), ...op.i32Add] : []), ...op.i32Add, ...op.localSet(local),
  ];
  const code = [
    ...op.block, ...op.loop,
    ...op.localGet(ROWS), ...op.i32Eqz, ...op.brIf(1),
    ...op.localGet(DST), ...op.localGet(A), ...op.localGet(LEN), ...op.memoryCopy,
    ...op.localGet(DST), ...op.localGet(LEN), ...op.i32Add, ...op.localGet(B), ...op.localGet(LEN), ...op.memoryCopy,
    ...advance(DST, 2), ...advance(A, 1), ...advance(B, 1),
    ...op.localGet(ROWS), ...op.i32Const(1), ...op.i32Sub, ...op.localSet(ROWS),
    ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  return funcBody([], code);
}

/**
 * leakyGrad(dx, y, dy, n, alpha). Locals: 0–2 addresses, 3 n, 4 alpha, 5 byte offset i,
 * 6 end of the 4-lane part, 7 end of all, 8 alpha splat, 9 zero vector (default 0).
 */
function leakyGradBody(): number[] {
  const [DX, Y, DY, N, ALPHA, I, END4, END, A4, ZERO] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const code = [
    ...op.localGet(ALPHA), ...op.f32x4Splat, ...op.localSet(A4),
    // END = n·4 bytes; END4 = END rounded down to 16 bytes
    ...op.localGet(N), ...op.i32Const(2), ...op.i32Shl, ...op.localSet(END),
    ...op.localGet(END), ...op.i32Const(0x7ffffff0), ...op.i32And, ...op.localSet(END4),
    // 4 lanes at a time: dx = bitselect(dy·alpha, dy, y ≤ 0)
    ...op.block, ...op.loop,
    ...op.localGet(I), ...op.localGet(END4), ...op.i32GeU, ...op.brIf(1),
    ...op.localGet(DX), ...op.localGet(I), ...op.i32Add,
    ...op.localGet(DY), ...op.localGet(I), ...op.i32Add, ...op.v128Load, ...op.localGet(A4), ...op.f32x4Mul,
    ...op.localGet(DY), ...op.localGet(I), ...op.i32Add, ...op.v128Load,
    ...op.localGet(Y), ...op.localGet(I), ...op.i32Add, ...op.v128Load, ...op.localGet(ZERO), ...op.f32x4Le,
    ...op.v128Bitselect, ...op.v128Store,
    ...op.localGet(I), ...op.i32Const(16), ...op.i32Add, ...op.localSet(I),
    ...op.br(0), ...op.end, ...op.end,
    // the last n mod 4 elements one by one
    ...op.block, ...op.loop,
    ...op.localGet(I), ...op.localGet(END), ...op.i32GeU, ...op.brIf(1),
    ...op.localGet(DX), ...op.localGet(I), ...op.i32Add,
    ...op.localGet(DY), ...op.localGet(I), ...op.i32Add, ...op.f32Load(), ...op.localGet(ALPHA), ...op.f32Mul,
    ...op.localGet(DY), ...op.localGet(I), ...op.i32Add, ...op.f32Load(),
    ...op.localGet(Y), ...op.localGet(I), ...op.i32Add, ...op.f32Load(), ...op.f32Const0, ...op.f32Le,
    ...op.select, ...op.f32Store,
    ...op.localGet(I), ...op.i32Const(4), ...op.i32Add, ...op.localSet(I),
    ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  return funcBody([[3, T.i32], [2, T.v128]], code);
}

/** A counted loop: `body` runs while local `i` < local `end`, then `i` += `step` (bytes or units). */
function countedLoop(i: number, end: number, step: number[], body: number[]): number[] {
  return [
    ...op.block, ...op.loop,
    ...op.localGet(i), ...op.localGet(end), ...op.i32GeU, ...op.brIf(1),
    ...body,
    ...op.localGet(i), ...step, ...op.i32Add, ...op.localSet(i),
    ...op.br(0), ...op.end, ...op.end,
  ];
}

/**
 * thinFilterGrad. Params 0–10: acc, xp, dy, n, oh, ow, kh, kw, cin, cout, wp. Locals:
 * 11 image, 12 h, 13 w, 14 a, 15 b, 16 ci, 17 j (bytes), 18 coutBytes, 19 xPixel (address of
 * xp[image, h, w, 0]), 20 xTap, 21 accRow, 22 dyRow, 23 zero constant, 24 tap count, 25 s (v128).
 */
function thinFilterGradBody(): number[] {
  const [ACC, XP, DY, N, OH, OW, KH, KW, CIN, , WP] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const COUT = 9;
  const [IMG, H, W, A, B, CI, J, COUT_B, XPIX, XTAP, ACCROW, DYROW] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const S = 25;
  const get = op.localGet, set = op.localSet;
  const mul = [0x6c];
  const one = op.i32Const(1);
  // xPixel = xp + ((image·Hp + h)·wp + w)·cin·4 with Hp = oh + kh − 1
  const xPixel = [
    ...get(IMG), ...get(OH), ...get(KH), ...op.i32Add, ...one, ...op.i32Sub, ...mul, ...get(H), ...op.i32Add,
    ...get(WP), ...mul, ...get(W), ...op.i32Add, ...get(CIN), ...mul, ...op.i32Const(2), ...op.i32Shl, ...get(XP), ...op.i32Add, ...set(XPIX),
  ];
  // xTap = xPixel + (a·wp + b)·cin·4 + ci·4 ; accRow = acc + ((a·kw + b)·cin + ci)·coutBytes
  const tapBody = [
    ...get(XPIX), ...get(A), ...get(WP), ...mul, ...get(B), ...op.i32Add, ...get(CIN), ...mul, ...get(CI), ...op.i32Add, ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...set(XTAP),
    ...get(A), ...get(KW), ...mul, ...get(B), ...op.i32Add, ...get(CIN), ...mul, ...get(CI), ...op.i32Add, ...get(COUT_B), ...mul, ...get(ACC), ...op.i32Add, ...set(ACCROW),
    ...get(XTAP), ...op.f32Load(), ...op.f32x4Splat, ...set(S),
    ...op.i32Const(0), ...set(J),
    ...countedLoop(J, COUT_B, op.i32Const(16), [
      ...get(ACCROW), ...get(J), ...op.i32Add,
      ...get(ACCROW), ...get(J), ...op.i32Add, ...op.v128Load,
      ...get(S), ...get(DYROW), ...get(J), ...op.i32Add, ...op.v128Load, ...op.f32x4Mul,
      ...op.f32x4Add, ...op.v128Store,
    ]),
  ];
  const reset = (local: number) => [...op.i32Const(0), ...set(local)];
  const code = [
    ...get(COUT), ...op.i32Const(2), ...op.i32Shl, ...set(COUT_B),
    ...get(DY), ...set(DYROW),
    ...reset(IMG),
    ...countedLoop(IMG, N, one, [
      ...reset(H),
      ...countedLoop(H, OH, one, [
        ...reset(W),
        ...countedLoop(W, OW, one, [
          ...xPixel,
          ...reset(A),
          ...countedLoop(A, KH, one, [
            ...reset(B),
            ...countedLoop(B, KW, one, [
              ...reset(CI),
              ...countedLoop(CI, CIN, one, tapBody),
            ]),
          ]),
          ...get(DYROW), ...get(COUT_B), ...op.i32Add, ...set(DYROW),
        ]),
      ]),
    ]),
    ...op.end,
  ];
  return funcBody([[14, T.i32], [1, T.v128]], code);
}

/** i8x16.shuffle taking f32 lanes `lanes` (0–3 from the first operand, 4–7 from the second). */
function shuffleLanes(lanes: number[]): number[] {
  return [SIMD, 0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];
}

/**
 * swapOuterInner(dst, src, A, M, C, srcStrideA, dstStrideC). Locals: 7 m, 8 a, 9 c,
 * 10 s (address of src[a, m, c]), 11 d (address of dst[c, m, a]), 12–15 rows r0–r3,
 * 16–19 half-transposed t0–t3 (v128).
 */
function swapOuterInnerBody(): number[] {
  const [DST, SRC, A_N, M_N, C_N, RS, DS, M, A, C, SP, DP] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const R = [12, 13, 14, 15], TT = [16, 17, 18, 19];
  const get = op.localGet, set = op.localSet, mul = [0x6c], one = op.i32Const(1), four = op.i32Const(4);
  const addr = (base: number, k: number, stride: number) => [...get(base), ...(k === 0 ? [] : [...get(stride), ...op.i32Const(k), ...mul, ...op.i32Add])];
  const body = [
    // s = src + a·srcStrideA + (m·C + c)·4 ; d = dst + c·dstStrideC + (m·A + a)·4
    ...get(A), ...get(RS), ...mul, ...get(M), ...get(C_N), ...mul, ...get(C), ...op.i32Add, ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...get(SRC), ...op.i32Add, ...set(SP),
    ...get(C), ...get(DS), ...mul, ...get(M), ...get(A_N), ...mul, ...get(A), ...op.i32Add, ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...get(DST), ...op.i32Add, ...set(DP),
    ...[0, 1, 2, 3].flatMap((i) => [...addr(SP, i, RS), ...op.v128Load, ...set(R[i])]),
    ...get(R[0]), ...get(R[1]), ...shuffleLanes([0, 4, 1, 5]), ...set(TT[0]),
    ...get(R[0]), ...get(R[1]), ...shuffleLanes([2, 6, 3, 7]), ...set(TT[1]),
    ...get(R[2]), ...get(R[3]), ...shuffleLanes([0, 4, 1, 5]), ...set(TT[2]),
    ...get(R[2]), ...get(R[3]), ...shuffleLanes([2, 6, 3, 7]), ...set(TT[3]),
    ...addr(DP, 0, DS), ...get(TT[0]), ...get(TT[2]), ...shuffleLanes([0, 1, 4, 5]), ...op.v128Store,
    ...addr(DP, 1, DS), ...get(TT[0]), ...get(TT[2]), ...shuffleLanes([2, 3, 6, 7]), ...op.v128Store,
    ...addr(DP, 2, DS), ...get(TT[1]), ...get(TT[3]), ...shuffleLanes([0, 1, 4, 5]), ...op.v128Store,
    ...addr(DP, 3, DS), ...get(TT[1]), ...get(TT[3]), ...shuffleLanes([2, 3, 6, 7]), ...op.v128Store,
  ];
  const reset = (local: number) => [...op.i32Const(0), ...set(local)];
  const code = [
    ...reset(M),
    ...countedLoop(M, M_N, one, [
      ...reset(A),
      ...countedLoop(A, A_N, four, [
        ...reset(C),
        ...countedLoop(C, C_N, four, body),
      ]),
    ]),
    ...op.end,
  ];
  return funcBody([[5, T.i32], [8, T.v128]], code);
}

/**
 * sumRows(acc, src, rows, cols). Locals: 4 r, 5 p (address of src[r, 0]), 6 j (bytes into the
 * row), 7 cols4 (bytes of the 4-lane part), 8 colsBytes, 9 a (address of acc[j]); v128: 10 v.
 */
function sumRowsBody(): number[] {
  const [ACC, SRC, ROWS, COLS, R, P, J, COLS4, COLSB, A] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const V = 10;
  const get = op.localGet, set = op.localSet, one = op.i32Const(1);
  const promoteLow = [SIMD, 0x5f], f64x2Add = [SIMD, 0xf0, 0x01];
  const v128LoadAt = (offset: number) => [SIMD, 0x00, 3, ...uleb(offset)], v128StoreAt = (offset: number) => [SIMD, 0x0b, 3, ...uleb(offset)];
  const code = [
    ...get(COLS), ...op.i32Const(2), ...op.i32Shl, ...set(COLSB),
    ...get(COLSB), ...op.i32Const(0x7ffffff0), ...op.i32And, ...set(COLS4),
    ...get(SRC), ...set(P),
    ...op.i32Const(0), ...set(R),
    ...countedLoop(R, ROWS, one, [
      ...op.i32Const(0), ...set(J),
      // four columns at a time: acc (f64) at 2·j bytes
      ...countedLoop(J, COLS4, op.i32Const(16), [
        ...get(P), ...get(J), ...op.i32Add, ...op.v128Load, ...set(V),
        ...get(ACC), ...get(J), ...op.i32Const(1), ...op.i32Shl, ...op.i32Add, ...set(A),
        ...get(A), ...get(A), ...v128LoadAt(0), ...get(V), ...promoteLow, ...f64x2Add, ...v128StoreAt(0),
        ...get(A), ...get(A), ...v128LoadAt(16), ...get(V), ...get(V), ...shuffleLanes([2, 3, 0, 1]), ...promoteLow, ...f64x2Add, ...v128StoreAt(16),
      ]),
      // the last cols mod 4 one by one
      ...countedLoop(J, COLSB, op.i32Const(4), [
        ...get(ACC), ...get(J), ...op.i32Const(1), ...op.i32Shl, ...op.i32Add, ...set(A),
        ...get(A), ...get(A), 0x2b, 3, 0, ...get(P), ...get(J), ...op.i32Add, ...op.f32Load(), 0xbb, 0xa0, 0x39, 3, 0,
      ]),
      ...get(P), ...get(COLSB), ...op.i32Add, ...set(P),
    ]),
    ...op.end,
  ];
  return funcBody([[6, T.i32], [1, T.v128]], code);
}

/**
 * swapOuterRows(dst, src, A, B, rowBytes). Locals: 5 i (0…B), 6 o (0…A), 7 d (address of dst
 * row i·A + o, advancing), 8 s (address of src row o·B + i).
 */
function swapOuterRowsBody(): number[] {
  const [DST, SRC, A_N, B_N, LEN, I, O, D, S] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const get = op.localGet, set = op.localSet, mul = [0x6c], one = op.i32Const(1);
  const code = [
    ...get(DST), ...set(D),
    ...op.i32Const(0), ...set(I),
    ...countedLoop(I, B_N, one, [
      // s = src + i·rowBytes, then + B·rowBytes per o
      ...get(SRC), ...get(I), ...get(LEN), ...mul, ...op.i32Add, ...set(S),
      ...op.i32Const(0), ...set(O),
      ...countedLoop(O, A_N, one, [
        ...get(D), ...get(S), ...get(LEN), ...op.memoryCopy,
        ...get(D), ...get(LEN), ...op.i32Add, ...set(D),
        ...get(S), ...get(B_N), ...get(LEN), ...mul, ...op.i32Add, ...set(S),
      ]),
    ]),
    ...op.end,
  ];
  return funcBody([[4, T.i32]], code);
}

/** swapRows: calls function `swapIndex` (swapOuterInner) per row; local 11 y. */
function swapRowsBody(swapIndex: number): number[] {
  const [DST, SRC, A, W, C, RS, DS, Y0, Y1, DROW, SROW, Y] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const get = op.localGet, set = op.localSet, mul = [0x6c];
  const code = [
    ...get(Y0), ...set(Y),
    ...countedLoop(Y, Y1, op.i32Const(1), [
      ...get(DST), ...get(Y), ...get(DROW), ...mul, ...op.i32Add,
      ...get(SRC), ...get(Y), ...get(SROW), ...mul, ...op.i32Add,
      ...get(A), ...get(W), ...get(C), ...get(RS), ...get(DS),
      0x10, ...uleb(swapIndex),
    ]),
    ...op.end,
  ];
  return funcBody([[1, T.i32]], code);
}

/** The module importing `env.memory` (shared: limits must declare a maximum, 4 GiB here). */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const memoryType = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  return new Uint8Array([
    ...WASM_HEADER,
    ...section(1, vec([
      [0x60, 5, T.i32, T.i32, T.i32, T.i32, T.f32, 0],
      [0x60, 5, T.i32, T.i32, T.i32, T.i32, T.i32, 0],
      [0x60, 11, ...new Array(11).fill(T.i32), 0],
      [0x60, 4, T.i32, T.i32, T.i32, T.i32, 0],
      [0x60, 7, ...new Array(7).fill(T.i32), 0],
    ])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...memoryType]])),
    ...section(3, vec([[0], [1], [2], [4], [3], [1], [2]])),
    ...section(7, vec([
      [...name("leakyGrad"), 0x00, 0],
      [...name("interleave2"), 0x00, 1],
      [...name("thinFilterGrad"), 0x00, 2],
      [...name("swapOuterInner"), 0x00, 3],
      [...name("sumRows"), 0x00, 4],
      [...name("swapOuterRows"), 0x00, 5],
      [...name("swapRows"), 0x00, 6],
    ])),
    ...section(10, vec([leakyGradBody(), interleave2Body(), thinFilterGradBody(), swapOuterInnerBody(), sumRowsBody(), swapOuterRowsBody(), swapRowsBody(3)])),
  ]);
}

const compiled = new Map<boolean, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/**
 * The kernels bound to `memory` (instantiated once per memory).
 *
 * @example
 * ```ts ignore
 * const { leakyGrad } = simdKernelsFor(backend.wasm.asm.memory);
 * ```
 */
export function simdKernelsFor(memory: WebAssembly.Memory): SimdKernels {
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    let module = compiled.get(shared);
    if (module === undefined) {
      module = new WebAssembly.Module(moduleBytes(shared));
      compiled.set(shared, module);
    }
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    kernels = {
      leakyGrad: exports.leakyGrad as SimdKernels["leakyGrad"],
      interleave2: exports.interleave2 as SimdKernels["interleave2"],
      thinFilterGrad: exports.thinFilterGrad as SimdKernels["thinFilterGrad"],
      swapOuterInner: exports.swapOuterInner as SimdKernels["swapOuterInner"],
      sumRows: exports.sumRows as SimdKernels["sumRows"],
      swapOuterRows: exports.swapOuterRows as SimdKernels["swapOuterRows"],
      swapRows: exports.swapRows as SimdKernels["swapRows"],
    };
    instances.set(memory, kernels);
  }
  return kernels;
}
