/** `firstNonFinite`: the first key, in order, whose tensor holds NaN, +∞ or −∞ — or null. */
import * as tf from "@tensorflow/tfjs-core";
import { assertEquals } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { firstNonFinite, firstNonFiniteParam } from "../../lib/nets/ops.ts";

Deno.test("firstNonFinite names the first non-finite tensor in order (NaN, +∞, −∞), null when all are finite", async () => {
  await initBackend("cpu");
  const t = (v: number[]) => tf.tensor1d(v);
  const made = [t([1, -2, 0]), t([3, NaN]), t([Infinity]), t([-Infinity, 1]), t([1e38, -1e38]), t([])];
  const [ok, nan, inf, ninf, big, empty] = made;
  assertEquals(firstNonFinite([["a", ok], ["b", nan], ["c", inf]]), "b");
  assertEquals(firstNonFinite([["a", ok], ["c", inf], ["b", nan]]), "c", "order decides, not the kind of value");
  assertEquals(firstNonFinite([["d", ninf]]), "d");
  assertEquals(firstNonFinite([["a", ok], ["e", big], ["f", empty]]), null, "large finite values and empty tensors are finite");
  assertEquals(firstNonFinite([]), null);
  assertEquals(firstNonFiniteParam([{ key: "w", variable: ok }, { key: "b", variable: ninf }]), "b");
  tf.dispose(made);
});
