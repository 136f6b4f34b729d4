/**
 * Runs one tfjs kernel on the cpu backend and on `native` with identical seeded inputs and
 * returns both outputs, so tests can compare them. Fails loudly when oneDNN is missing: CI
 * installs libdnnl2, and a silently skipped parity suite would hide a broken backend.
 *
 * @example
 * ```ts
 * await ensureNative();
 * const { native, cpu } = runOnBoth("Conv2D", { x: [2, 8, 8, 3], filter: [3, 3, 3, 4] }, { strides: 1, pad: 1 }, 7);
 * assertClose(native, cpu, 1e-5);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { Random } from "../../lib/util/random.ts";
import { assertEquals } from "../assert.ts";
import { nativeLibraryAvailable, registerNativeBackend } from "../../lib/tensor/native/register.ts";
import { nativeStats } from "../../lib/tensor/native/install.ts";

/** Registers the native backend or throws with the reason. */
export async function ensureNative(): Promise<void> {
  const found = nativeLibraryAvailable();
  if (!found.ok) throw new Error(`The native backend tests need oneDNN (Debian package libdnnl2): ${found.reason}`);
  const reg = await registerNativeBackend();
  if (!reg.ok) throw new Error(`Cannot register the native backend: ${reg.reason}`);
}

/** Seeded standard-normal values. */
export function normals(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

function runOn(backend: string, kernel: string, inputs: Record<string, number[]>, attrs: tf.NamedAttrMap, seed: number): Float32Array {
  // Both backends initialise synchronously, so the switch has happened when setBackend returns.
  void tf.setBackend(backend);
  if (tf.getBackend() !== backend) throw new Error(`Cannot switch to backend '${backend}'`);
  // Silences the cpu backend's "use tfjs-node" banner: the cpu backend is the reference here.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  return tf.tidy(() => {
    const named: tf.NamedTensorMap = {};
    Object.entries(inputs).forEach(([name, shape], i) => {
      named[name] = tf.tensor(normals(shape.reduce((a, b) => a * b, 1), seed * 31 + i), shape);
    });
    const out = tf.engine().runKernel(kernel, named, attrs) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

function totalFallbacks(): number {
  return Object.values(nativeStats().fallbacks).reduce((a, b) => a + b, 0);
}

/**
 * The kernel's output on `native` and on `cpu` for the same seeded inputs, and how many calls
 * the native run handed to cpu kernels (0 means oneDNN computed it).
 */
export function runOnBoth(
  kernel: string,
  inputs: Record<string, number[]>,
  attrs: tf.NamedAttrMap,
  seed: number,
): { native: Float32Array; cpu: Float32Array; fallbacks: number } {
  const before = totalFallbacks();
  const native = runOn("native", kernel, inputs, attrs, seed);
  const fallbacks = totalFallbacks() - before;
  const cpu = runOn("cpu", kernel, inputs, attrs, seed);
  return { native, cpu, fallbacks };
}

/**
 * Switches to `backend` at once (cpu and native initialise synchronously) and silences the cpu
 * backend's "use tfjs-node" banner, since cpu is the reference here.
 *
 * @example
 * ```ts
 * useBackend("native");
 * ```
 */
export function useBackend(backend: string): void {
  void tf.setBackend(backend);
  if (tf.getBackend() !== backend) throw new Error(`Cannot switch to backend '${backend}'`);
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

/**
 * Bit-for-bit equality (Object.is per element, so ±0 and NaN count), reporting the first
 * differing element.
 *
 * @example
 * ```ts
 * assertIdentical(native.dataSync(), cpu.dataSync(), "energies");
 * ```
 */
export function assertIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assertEquals(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}
