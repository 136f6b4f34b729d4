/**
 * Conv plans reuse the filter they last reordered into oneDNN's layout when the same filter
 * tensor comes back (a Langevin chain), and reorder again whenever a different filter of the
 * same shape arrives (two layers sharing a plan, a weight update): results always match a plan
 * run from scratch.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions
import { assert, assertEquals } from "../assert.ts";
import { ensureNative, normals } from "./parity.ts";
import { nativeStats } from "../../lib/tensor/native/install.ts";

await ensureNative();

function useNative(): void {
  // The native backend initialises synchronously, so the switch has happened on return.
  void tf.setBackend("native");
  if (tf.getBackend() !== "native") throw new Error("Cannot switch to backend 'native'");
}

function assertIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assertEquals(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Executions of oneDNN primitives while `fn` runs, and its result. */
function counted(fn: () => tf.Tensor): { executions: number; values: Float32Array } {
  const before = nativeStats().executions;
  const t = fn();
  const values = Float32Array.from(t.dataSync());
  t.dispose();
  return { executions: nativeStats().executions - before, values };
}

Deno.test("conv forward and input gradient skip the filter reorder for the same filter, redo it for another", () => {
  useNative();
  const x = tf.tensor4d(normals(4 * 16 * 16 * 32, 1), [4, 16, 16, 32]);
  const dy = tf.tensor4d(normals(4 * 8 * 8 * 64, 2), [4, 8, 8, 64]);
  const w1 = tf.variable(tf.tensor4d(normals(4 * 4 * 32 * 64, 3), [4, 4, 32, 64]));
  const w2 = tf.tensor4d(normals(4 * 4 * 32 * 64, 4), [4, 4, 32, 64]);
  const forward = (w: tf.Tensor4D) => () => tf.conv2d(x, w, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const backward = (w: tf.Tensor4D) => () => tf.conv2dTranspose(dy, w, [4, 16, 16, 32], 2, [[0, 0], [1, 1], [1, 1], [0, 0]] as unknown as number);
  for (const [name, op] of [["forward", forward], ["input gradient", backward]] as const) {
    const first = counted(op(w1 as unknown as tf.Tensor4D));
    const again = counted(op(w1 as unknown as tf.Tensor4D));
    assert(again.executions < first.executions, `${name}: the same filter was reordered again (${again.executions} vs ${first.executions} executions)`);
    assertIdentical(again.values, first.values, `${name}: same filter`);
    // A different filter of the same shape shares the plan: it must be reordered, not reused.
    const other = counted(op(w2));
    assertEquals(other.executions, first.executions, `${name}: executions for another filter`);
    const fresh = counted(op(w1 as unknown as tf.Tensor4D));
    assertIdentical(fresh.values, first.values, `${name}: back to the first filter`);
    // An update gives the variable new data (a new dataId): the reorder must run again.
    const saved = tf.clone(w1);
    w1.assign(w2);
    const updated = counted(op(w1 as unknown as tf.Tensor4D));
    assertIdentical(updated.values, other.values, `${name}: after assign`);
    w1.assign(saved);
    saved.dispose();
    const restored = counted(op(w1 as unknown as tf.Tensor4D));
    assertIdentical(restored.values, first.values, `${name}: after assigning back`);
  }
  tf.dispose([x, dy, w1, w2]);
});
