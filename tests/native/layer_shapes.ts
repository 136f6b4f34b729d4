/**
 * The convolution, matmul and pooling shapes of every network in SPEC §1 (ToyNet, VanillaNet at
 * 32×32×3 and 32×32×1 with n_f = 32, NonlocalNet at 32×32×3 and its non-local blocks), at a small
 * batch, plus odd shapes that exercise padding/stride/rounding corners.
 *
 * @example
 * ```ts
 * for (const c of CONV_CASES) console.log(c.name, c.x, c.filter);
 * ```
 * @module
 */

/** One conv2d layer: NHWC input shape, HWIO filter shape, stride, padding. */
export type ConvCase = {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: "same" | "valid" | number;
  dilations?: number;
  dataFormat?: "NHWC" | "NCHW";
};

/** One (batched) matmul: shapes and transpose flags. */
export type MatMulCase = { name: string; a: number[]; b: number[]; transposeA: boolean; transposeB: boolean };

/** One max-pool: NHWC input shape, window, stride, padding. */
export type PoolCase = { name: string; x: [number, number, number, number]; filterSize: number; strides: number; pad: "same" | "valid" | number };

/** Batch used for all network layers (small: the cpu reference kernels are slow). */
export const BATCH = 2;
const B = BATCH;

function vanilla(nc: number, nf = 32): ConvCase[] {
  return [
    { name: `Vanilla(nc=${nc}) conv1 3x3 s1 p1`, x: [B, 32, 32, nc], filter: [3, 3, nc, nf], strides: 1, pad: 1 },
    { name: `Vanilla(nc=${nc}) conv2 4x4 s2 p1`, x: [B, 32, 32, nf], filter: [4, 4, nf, 2 * nf], strides: 2, pad: 1 },
    { name: `Vanilla(nc=${nc}) conv3 4x4 s2 p1`, x: [B, 16, 16, 2 * nf], filter: [4, 4, 2 * nf, 4 * nf], strides: 2, pad: 1 },
    { name: `Vanilla(nc=${nc}) conv4 4x4 s2 p1`, x: [B, 8, 8, 4 * nf], filter: [4, 4, 4 * nf, 8 * nf], strides: 2, pad: 1 },
    { name: `Vanilla(nc=${nc}) conv5 4x4 s1 p0`, x: [B, 4, 4, 8 * nf], filter: [4, 4, 8 * nf, 1], strides: 1, pad: 0 },
  ];
}

/** Every conv layer shape of the three networks, then odd shapes. */
export const CONV_CASES: ConvCase[] = [
  // ToyNet as 1×1 convolutions on a 1×1 "image" (2 → 32 → 64 → 64 → 64 → 1).
  ...([[2, 32], [32, 64], [64, 64], [64, 64], [64, 1]] as const).map(([i, o], k): ConvCase => ({
    name: `Toy 1x1 #${k + 1} ${i}->${o}`,
    x: [B, 1, 1, i],
    filter: [1, 1, i, o],
    strides: 1,
    pad: 0,
  })),
  ...vanilla(3),
  ...vanilla(1).slice(0, 1), // only the first layer depends on n_c
  // NonlocalNet(3, 32): 3×3 convs, then the non-local blocks' 1×1 convs (θ/φ/g: C → C/2, W: C/2 → C).
  { name: "Nonlocal conv1 3x3 3->32", x: [B, 32, 32, 3], filter: [3, 3, 3, 32], strides: 1, pad: 1 },
  { name: "Nonlocal conv2 3x3 32->64", x: [B, 16, 16, 32], filter: [3, 3, 32, 64], strides: 1, pad: 1 },
  { name: "Nonlocal conv3 3x3 64->128", x: [B, 8, 8, 64], filter: [3, 3, 64, 128], strides: 1, pad: 1 },
  { name: "Nonlocal block1 theta 1x1 32->16", x: [B, 16, 16, 32], filter: [1, 1, 32, 16], strides: 1, pad: 0 },
  { name: "Nonlocal block1 W 1x1 16->32", x: [B, 16, 16, 16], filter: [1, 1, 16, 32], strides: 1, pad: 0 },
  { name: "Nonlocal block2 theta 1x1 64->32", x: [B, 8, 8, 64], filter: [1, 1, 64, 32], strides: 1, pad: 0 },
  { name: "Nonlocal block2 W 1x1 32->64", x: [B, 8, 8, 32], filter: [1, 1, 32, 64], strides: 1, pad: 0 },
  // Odd shapes: non-square, odd sizes, 'same'/'valid' with stride, dilation, NCHW.
  { name: "odd 3x3 s2 same", x: [3, 7, 9, 5], filter: [3, 3, 5, 6], strides: 2, pad: "same" },
  { name: "odd 2x3 s(2,1) valid", x: [1, 6, 5, 4], filter: [2, 3, 4, 3], strides: [2, 1], pad: "valid" },
  { name: "odd 4x4 s2 valid (unused tail)", x: [2, 9, 9, 3], filter: [4, 4, 3, 7], strides: 2, pad: "valid" },
  { name: "odd 5x5 s3 same", x: [1, 11, 10, 2], filter: [5, 5, 2, 5], strides: 3, pad: "same" },
  { name: "odd 3x3 dilation 2", x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: "same", dilations: 2 },
  { name: "odd NCHW 3x3 s2 p1", x: [2, 4, 9, 7], filter: [3, 3, 4, 5], strides: 2, pad: 1, dataFormat: "NCHW" },
];

/** NonlocalNet's batched matmuls (forward and, via transposes, their gradients) and FC layers. */
export const MATMUL_CASES: MatMulCase[] = [
  ...[false, true].flatMap((ta) =>
    [false, true].map((tb): MatMulCase => {
      const a = ta ? [B, 16, 256] : [B, 256, 16];
      const b = tb ? [B, 64, 16] : [B, 16, 64];
      return { name: `block1 theta·phi tA=${ta} tB=${tb}`, a, b, transposeA: ta, transposeB: tb };
    })
  ),
  { name: "block1 f·g", a: [B, 256, 64], b: [B, 64, 16], transposeA: false, transposeB: false },
  { name: "block2 theta·phi^T", a: [B, 64, 32], b: [B, 16, 32], transposeA: false, transposeB: true },
  { name: "block2 f^T·dy", a: [B, 64, 16], b: [B, 64, 32], transposeA: true, transposeB: false },
  { name: "FC1 2048->256", a: [B, 2048], b: [2048, 256], transposeA: false, transposeB: false },
  { name: "FC1 grad wrt W (x^T·dy)", a: [B, 2048], b: [B, 256], transposeA: true, transposeB: false },
  { name: "FC1 grad wrt x (dy·W^T)", a: [B, 256], b: [2048, 256], transposeA: false, transposeB: true },
  { name: "FC2 256->1", a: [B, 256], b: [256, 1], transposeA: false, transposeB: false },
  { name: "Toy MLP 2->32", a: [B, 2], b: [2, 32], transposeA: false, transposeB: false },
  { name: "broadcast batch 1 rhs", a: [3, 5, 7], b: [1, 7, 4], transposeA: false, transposeB: false },
  { name: "broadcast rank-2 lhs", a: [5, 7], b: [3, 7, 4], transposeA: false, transposeB: false },
  { name: "odd rank-4", a: [2, 3, 5, 7], b: [2, 3, 7, 1], transposeA: false, transposeB: false },
];

/** NonlocalNet's max-pools (after each conv, and φ/g sub-sampling in the blocks) and odd ones. */
export const POOL_CASES: PoolCase[] = [
  { name: "Nonlocal pool1", x: [B, 32, 32, 32], filterSize: 2, strides: 2, pad: "valid" },
  { name: "Nonlocal pool2", x: [B, 16, 16, 64], filterSize: 2, strides: 2, pad: "valid" },
  { name: "Nonlocal pool3", x: [B, 8, 8, 128], filterSize: 2, strides: 2, pad: "valid" },
  { name: "Nonlocal block1 phi pool", x: [B, 16, 16, 16], filterSize: 2, strides: 2, pad: "valid" },
  { name: "Nonlocal block2 phi pool", x: [B, 8, 8, 32], filterSize: 2, strides: 2, pad: "valid" },
  { name: "odd 3x3 s2 same", x: [2, 7, 6, 3], filterSize: 3, strides: 2, pad: "same" },
  { name: "odd 2x2 s2 valid odd size", x: [1, 5, 7, 2], filterSize: 2, strides: 2, pad: "valid" },
  { name: "odd 3x3 s1 p1", x: [2, 5, 5, 4], filterSize: 3, strides: 1, pad: 1 },
];
