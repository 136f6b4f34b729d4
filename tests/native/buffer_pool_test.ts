/**
 * The output-buffer pool: its bookkeeping rules, and on the native backend that recycling never
 * changes a value anyone can still see (arrays read out with dataSync, slices sharing a buffer,
 * the user's own arrays) while repeated steps do reuse their buffers.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions
import { assert, assertEquals } from "../assert.ts";
import { BufferPool, POOL_ENV, resolvePoolBytes } from "../../lib/tensor/native/buffer_pool.ts";
import { nativeStats } from "../../lib/tensor/native/install.ts";
import { ensureNative, normals } from "./parity.ts";

await ensureNative();

Deno.test("pool: a released buffer is handed out again; escaped, viewed or doubly owned ones never are", () => {
  const pool = new BufferPool(1 << 20);
  const a = pool.take(16);
  pool.registered(a);
  pool.released(a);
  assert(pool.take(16) === a, "a released buffer is reused");

  const read = pool.take(16);
  pool.registered(read);
  pool.escaped(read);
  pool.released(read);
  assert(pool.take(16) !== read, "a buffer read out of the backend is not reused");

  const viewed = pool.take(8);
  pool.registered(viewed);
  pool.registered(viewed.subarray(2, 4));
  pool.released(viewed);
  assert(pool.take(8) !== viewed, "a buffer with a live view is not reused");

  const shared = pool.take(4);
  pool.registered(shared);
  pool.registered(shared);
  pool.released(shared);
  assert(pool.take(4) !== shared, "a buffer stored under two tensors is not reused");

  const foreign = new Float32Array(4);
  pool.registered(foreign);
  pool.released(foreign);
  assert(pool.take(4) !== foreign, "an array the pool did not hand out is never taken in");
});

Deno.test("pool: the cap bounds free bytes (dropping the sizes released longest ago), 0 disables reuse, and the env var is validated", () => {
  const pool = new BufferPool(64);
  const big = pool.take(32); // 128 bytes > cap
  pool.registered(big);
  pool.released(big);
  assertEquals(pool.stats().freeBytes, 0);
  assert(pool.take(32) !== big);
  const [a, b, c] = [pool.take(8), pool.take(4), pool.take(8)]; // 32 + 16 + 32 bytes
  for (const t of [a, b, c]) pool.registered(t);
  pool.released(a);
  pool.released(b);
  pool.released(c); // 80 > 64: size 4 was released longest ago, so b goes
  assertEquals(pool.stats().freeBytes, 64);
  assert(pool.take(4) !== b, "the dropped buffer is not handed out");
  assert(pool.take(8) === c && pool.take(8) === a, "both size-8 buffers are kept, the latest handed out first");
  const [d, e] = [pool.take(16), pool.take(16)]; // 64 bytes each: the older one goes
  for (const t of [d, e]) pool.registered(t);
  pool.released(d);
  pool.released(e);
  assertEquals(pool.stats().freeBytes, 64);
  assert(pool.take(16) === e && pool.take(16) !== d, "within a size, the older buffer is dropped");
  const off = new BufferPool(0);
  const x = off.take(4);
  off.registered(x);
  off.released(x);
  assert(off.take(4) !== x);
  const old = Deno.env.get(POOL_ENV);
  try {
    Deno.env.set(POOL_ENV, "3");
    assertEquals(resolvePoolBytes(), 3 * 2 ** 20);
    Deno.env.set(POOL_ENV, "-1");
    let message = "";
    try {
      resolvePoolBytes();
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes(POOL_ENV) && message.includes("'-1'"), `message: ${message}`);
  } finally {
    if (old === undefined) Deno.env.delete(POOL_ENV);
    else Deno.env.set(POOL_ENV, old);
  }
});

function withNative<T>(fn: () => T): T {
  // The native backend initialises synchronously, so the switch has happened on return.
  void tf.setBackend("native");
  if (tf.getBackend() !== "native") throw new Error("Cannot switch to backend 'native'");
  return fn();
}

Deno.test("native: values read with dataSync, slices and user arrays survive recycling of same-size outputs", () => {
  withNative(() => {
    const n = 4 * 8 * 8 * 16;
    const userValues = normals(n, 3);
    const userCopy = userValues.slice();
    const x = tf.tensor4d(userValues, [4, 8, 8, 16]);
    const y = tf.leakyRelu(x, 0.1); // a pooled output
    const read = y.dataSync();
    const readCopy = Float32Array.from(read);
    const z = tf.prelu(x, tf.scalar(0.3) as unknown as tf.Tensor4D);
    const slice = tf.slice(z, [0, 0, 0, 0], [2, 8, 8, 16]); // shares z's buffer on the cpu backend
    const sliceCopy = Float32Array.from(slice.dataSync());
    const filler = tf.leakyRelu(x, 0.2); // a pooled output freed below, for the next outputs to reuse
    tf.dispose([y, z, filler]);
    const hitsBefore = nativeStats().pool.hits;
    // Outputs of the same size now come from the pool: none may land in the arrays above.
    const others = Array.from({ length: 4 }, (_, i) => tf.mul(x, tf.scalar(i + 2)));
    assert(nativeStats().pool.hits > hitsBefore, "no buffer was recycled, so nothing was tested");
    for (let i = 0; i < read.length; i++) if (!Object.is(read[i], readCopy[i])) throw new Error(`dataSync array changed at ${i}`);
    const sliceNow = slice.dataSync();
    for (let i = 0; i < sliceNow.length; i++) if (!Object.is(sliceNow[i], sliceCopy[i])) throw new Error(`slice changed at ${i}`);
    for (let i = 0; i < n; i++) if (!Object.is(userValues[i], userCopy[i])) throw new Error(`user array changed at ${i}`);
    tf.dispose([x, slice, ...others]);
  });
});

Deno.test("native: repeated steps reuse their output buffers and give identical results", () => {
  withNative(() => {
    const x = tf.tensor4d(normals(8 * 16 * 16 * 4, 5), [8, 16, 16, 4]);
    const w = tf.tensor4d(normals(3 * 3 * 4 * 8, 6), [3, 3, 4, 8]);
    const step = () =>
      tf.tidy(() => {
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.leakyRelu(tf.conv2d(a as tf.Tensor4D, w, 1, "same"), 0.05)))(x);
        return Float32Array.from(tf.add(g, tf.mul(x, 0.5)).dataSync());
      });
    const first = step();
    const hitsBefore = nativeStats().pool.hits;
    const second = step();
    const third = step();
    assert(nativeStats().pool.hits > hitsBefore, "no output buffer was reused");
    for (let i = 0; i < first.length; i++) {
      if (!Object.is(first[i], second[i]) || !Object.is(first[i], third[i])) throw new Error(`step results differ at ${i}`);
    }
    tf.dispose([x, w]);
  });
});
