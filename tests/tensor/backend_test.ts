/** Backend selection: validation, env var, auto order; init registers gradients and kernels. */
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo, initBackend, resolveBackendName } from "../../lib/tensor/backend.ts";
import { projectKernelsRegistered } from "../../lib/tensor/project_kernels.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";

Deno.test("explicit names pass through; unknown names fail listing the choices", async () => {
  const wasm = await resolveBackendName("wasm");
  assertEquals(wasm.name, "wasm");
  assert(/^requested: wasm, \d+ threads? \(/.test(wasm.note), `the wasm note names its thread count: ${wasm.note}`);
  assertEquals((await resolveBackendName("CPU")).name, "cpu");
  await assertThrowsAsync(() => resolveBackendName("webgpu"), "'webgpu'", "auto, tensorflow, native, wasm, cpu");
});

Deno.test("EBM_BACKEND is the default and is validated", async () => {
  const old = Deno.env.get("EBM_BACKEND");
  try {
    Deno.env.set("EBM_BACKEND", "cpu");
    assertEquals((await resolveBackendName()).name, "cpu");
    Deno.env.set("EBM_BACKEND", "gpu");
    await assertThrowsAsync(() => resolveBackendName(), "EBM_BACKEND", "'gpu'");
  } finally {
    if (old === undefined) Deno.env.delete("EBM_BACKEND");
    else Deno.env.set("EBM_BACKEND", old);
  }
});

Deno.test("auto explains its choice and never picks tensorflow when tfjs-node is absent", async () => {
  const { name, note } = await resolveBackendName("auto");
  assert(["native", "wasm", "cpu"].includes(name), `auto picked ${name}`);
  assert(note.startsWith("auto: ") && note.includes("tfjs-node") && note.includes(`using ${name}`), note);
});

Deno.test("initBackend sets the backend, registers gradients and the project's kernels", async () => {
  await initBackend("wasm");
  assertEquals(tf.getBackend(), "wasm");
  assert(projectKernelsRegistered("wasm"), "wasm kernels");
  assertEquals(backendInfo().name, "wasm");
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor([1, 2]));
  assertEquals(Array.from(await g.data()), [2, 4], "gradient of Σx²");
  await initBackend("cpu");
  assertEquals(tf.getBackend(), "cpu");
  await assertThrowsAsync(() => initBackend("tensorflow"), "Cannot start backend 'tensorflow'", "setup:gpu");
});
