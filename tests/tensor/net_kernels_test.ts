/**
 * Every other kernel the nets differentiate through, wasm against cpu (≤ 1e-5 relative):
 * max-pool gradient (the project's replacement on wasm), batched matmul with and without
 * transposes, softmax, PReLU with a constant slope, leaky ReLU, transpose/reshape.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { Random } from "../../lib/util/random.ts";
import { assertClose } from "../assert.ts";

await initBackend("cpu");
await initBackend("wasm");

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
const CASES: [string, number[][], Op][] = [
  ["maxPool 2x2 s2 (nets)", [[2, 32, 32, 4]], (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")],
  ["maxPool 2x2 s2 odd 7x9", [[2, 7, 9, 3]], (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")],
  ["maxPool 3x3 s2 same (overlapping, padded)", [[2, 9, 8, 3]], (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, "same")],
  ["maxPool 3x3 s1 valid", [[1, 6, 6, 2]], (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, "valid")],
  ["batched matmul (attention · g)", [[2, 64, 16], [2, 16, 4]], (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D)],
  ["batched matmul θ·φᵀ", [[2, 64, 4], [2, 16, 4]], (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true)],
  ["batched matmul transposed a", [[2, 4, 64], [2, 4, 16]], (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false)],
  ["batched matmul, batch of 1 broadcast", [[1, 64, 16], [3, 16, 8]], (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D)],
  ["batched matmul, both transposed", [[3, 16, 64], [3, 8, 16]], (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, true)],
  ["softmax over the last axis", [[2, 64, 16]], (x) => tf.softmax(x)],
  ["prelu with constant 0.05", [[2, 8, 8, 3]], (x) => tf.prelu(x, tf.scalar(0.05))],
  ["leakyRelu 0.05", [[2, 8, 8, 3]], (x) => tf.leakyRelu(x, 0.05)],
  ["NCHW flatten (transpose + reshape)", [[2, 4, 4, 8]], (x) => tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [2, -1])],
];

for (const [name, shapes, op] of CASES) {
  Deno.test(`wasm gradient matches cpu: ${name}`, async () => {
    const inputs = shapes.map((s, i) => new Random(10 + i).normalArray(s.reduce((a, b) => a * b, 1)));
    const results: Float32Array[][] = [];
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const xs = shapes.map((s, i) => tf.tensor(inputs[i], s));
      const y = op(...xs);
      const dy = tf.tensor(new Random(99).normalArray(y.size), y.shape);
      const grads = tf.grads((...a: tf.Tensor[]) => op(...a))(xs, dy);
      results.push([await y.data() as Float32Array, ...await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>))]);
      tf.dispose([...xs, y, dy, ...grads]);
    }
    results[0].forEach((ref, i) => assertClose(results[1][i], ref, 1e-5, `${name} ${i === 0 ? "output" : `gradient ${i}`}`));
  });
}

Deno.test("max-pool gradient ties go to the first maximum of the window (PyTorch's rule)", async () => {
  await tf.setBackend("wasm");
  // One 2×2 window holding 1, 1, 1, 1 and one holding 0, 2, 2, 0; odd input drops the last row/column.
  const x = tf.tensor4d([1, 1, 0, 2, 9, 1, 1, 2, 0, 9, 9, 9, 9, 9, 9], [1, 3, 5, 1]);
  const g = tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, "valid"))(x, tf.tensor4d([10, 20], [1, 1, 2, 1]));
  assertClose(await g.data(), [10, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "routed gradient");
});

for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]]) {
  Deno.test(`2-D matMul gradients (transposeA=${tA}, transposeB=${tB}) match cpu, through the project's BatchMatMul gradient`, async () => {
    const aShape = tA ? [7, 5] : [5, 7], bShape = tB ? [3, 7] : [7, 3];
    const av = new Random(1).normalArray(35), bv = new Random(2).normalArray(21), dyv = new Random(3).normalArray(15);
    const results: Float32Array[][] = [];
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const a = tf.tensor2d(av, aShape as [number, number]), b = tf.tensor2d(bv, bShape as [number, number]);
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, tA, tB))([a, b], tf.tensor2d(dyv, [5, 3]));
      results.push(await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>)));
    }
    // cpu through the same gradient; check wasm against cpu and cpu against the closed form for dA.
    results[0].forEach((ref, i) => assertClose(results[1][i], ref, 1e-5, `gradient ${i}`));
    await tf.setBackend("cpu");
    const dy = tf.tensor2d(dyv, [5, 3]), B = tf.tensor2d(bv, bShape as [number, number]);
    const opB = tB ? tf.transpose(B) : B;
    const dA = tA ? tf.transpose(tf.matMul(dy, opB, false, true)) : tf.matMul(dy, opB, false, true);
    assertClose(results[0][0], await dA.data(), 1e-5, "dA closed form");
  });
}
