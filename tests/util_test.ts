import { Random } from "../lib/util/random.ts";
import { readEnv, readEnvInteger, readEnvSwitch } from "../lib/util/env.ts";
import { decodeSafetensors, encodeSafetensors } from "../lib/util/safetensors.ts";
import { assert } from "./assert.ts";

Deno.test("Random: same seed gives the same stream, different seeds differ", () => {
  const a = new Random(7), b = new Random(7), c = new Random(8);
  const xa = a.normalArray(100), xb = b.normalArray(100), xc = c.normalArray(100);
  assert(xa.every((v, i) => v === xb[i]), "same seed differs");
  assert(xa.some((v, i) => v !== xc[i]), "different seeds equal");
});

Deno.test("Random: normalArray is the same stream as repeated normal(), spare draw included", () => {
  for (const [seed, n, drawnBefore] of [[1, 1000, 0], [2, 7, 1], [3, 30_001, 3], [4, 1, 1], [5, 0, 1]]) {
    const fast = new Random(seed), slow = new Random(seed);
    for (let k = 0; k < drawnBefore; k++) assert(fast.normal() === slow.normal(), "warm-up draws differ");
    const x = fast.normalArray(n, 0.5, 2);
    for (let i = 0; i < n; i++) {
      const expected = Math.fround(0.5 + 2 * slow.normal());
      assert(Object.is(x[i], expected), `seed ${seed}: draw ${i} is ${x[i]}, normal() gave ${expected}`);
    }
    assert(fast.normal() === slow.normal(), `seed ${seed}: the draw after normalArray(${n}) differs`);
    assert(fast.nextUint32() === slow.nextUint32(), `seed ${seed}: generator state differs after normalArray(${n})`);
  }
});

Deno.test("Random: normal draws have mean ≈ 0 and sd ≈ 1", () => {
  const x = new Random(1).normalArray(200_000);
  let m = 0, s = 0;
  for (const v of x) m += v;
  m /= x.length;
  for (const v of x) s += (v - m) ** 2;
  s = Math.sqrt(s / x.length);
  assert(Math.abs(m) < 0.01 && Math.abs(s - 1) < 0.01, `mean ${m}, sd ${s}`);
});

Deno.test("safetensors: round trip keeps dtype, shape, data and metadata", () => {
  const bytes = encodeSafetensors({
    a: { dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    b: { dtype: "U8", shape: [3], data: new Uint8Array([7, 8, 9]) },
  }, { seed: "123" });
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert(metadata.seed === "123", "metadata lost");
  assert(tensors.a.shape.join() === "2,3" && tensors.a.data[5] === 6, "tensor a wrong");
  assert(tensors.b.dtype === "U8" && tensors.b.data[2] === 9, "tensor b wrong");
});

Deno.test("safetensors: truncated data is a clear error", () => {
  const bytes = encodeSafetensors({ a: { dtype: "F32", shape: [4], data: new Float32Array(4) } });
  let message = "";
  try {
    decodeSafetensors(bytes.subarray(0, bytes.length - 4), "'x.safetensors'");
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("'x.safetensors'") && message.includes("tensor 'a'"), `message was: ${message}`);
});

Deno.test("env: unset or blank means the default; malformed values name the variable and value", () => {
  const name = "EBM_TEST_ENV_KNOB";
  try {
    Deno.env.delete(name);
    assert(readEnv(name) === undefined && readEnvInteger(name, 1) === undefined && readEnvSwitch(name) === undefined, "unset is not undefined");
    Deno.env.set(name, "  ");
    assert(readEnvInteger(name, 0) === undefined, "blank is not undefined");
    Deno.env.set(name, " 3 ");
    assert(readEnv(name) === "3" && readEnvInteger(name, 1) === 3, "trimmed integer not read");
    Deno.env.set(name, "0");
    assert(readEnvInteger(name, 0) === 0 && readEnvSwitch(name) === false, "0 not read");
    assertThrowsMessage(() => readEnvInteger(name, 1), "Cannot read env EBM_TEST_ENV_KNOB: expected a positive integer, got '0'");
    Deno.env.set(name, "1.5");
    assertThrowsMessage(() => readEnvInteger(name, 0), "Cannot read env EBM_TEST_ENV_KNOB: expected a non-negative integer, got '1.5'");
    Deno.env.set(name, "yes");
    assertThrowsMessage(() => readEnvSwitch(name), "Cannot read env EBM_TEST_ENV_KNOB: expected 0 or 1, got 'yes'");
    Deno.env.set(name, "1");
    assert(readEnvSwitch(name) === true, "1 is not on");
  } finally {
    Deno.env.delete(name);
  }
});

function assertThrowsMessage(fn: () => unknown, message: string): void {
  try {
    fn();
  } catch (e) {
    assert((e as Error).message === message, `wrong message: ${(e as Error).message}`);
    return;
  }
  throw new Error(`expected an error: ${message}`);
}
