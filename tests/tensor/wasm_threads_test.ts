/**
 * The threaded wasm backend: it starts every time or fails cleanly (no workers left, a logged
 * fallback to one thread), gives results (energies, ∇x, ∇θ) bit-identical to one thread, also
 * where the project's kernels split work with their helper thread, honours EBM_WASM_THREADS,
 * runs small ops on a one-thread pool, and lets a script exit by itself.
 */
import * as tf from "@tensorflow/tfjs-core";
import { BackendWasm, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { backendInfo, initBackend } from "../../lib/tensor/backend.ts";
import { liveWorkerCount, startThreadedModule } from "../../lib/tensor/wasm/threaded.ts";
import { prepareWasmBackend } from "../../lib/tensor/wasm/register.ts";
import { wasmStartInfo } from "../../lib/tensor/wasm/start_info.ts";
import { startThinHelper, stopThinHelper, thinHelperStats } from "../../lib/tensor/wasm/thin_conv_helper.ts";
import { describeWasmThreads, resolveWasmThreads, WASM_THREADS_ENV } from "../../lib/tensor/wasm/threads.ts";
import { createNet } from "../../lib/nets/net.ts";
import { clearConvGradCache } from "../../lib/tensor/kernels/conv2d_grads.ts";
import { energyAndGrad } from "../../lib/ebm/langevin.ts";
import { paramGrads } from "../../lib/ebm/grads.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";

await initBackend("wasm");

/**
 * Energies, ∇x and ∇θ of a small VanillaNet batch on the current backend, as raw bytes (batch 8:
 * big enough that the project's own kernels split their work with the helper thread).
 */
function vanillaOutputs(): Float32Array[] {
  const net = createNet("vanilla", { n_c: 3, n_f: 8 }, 4);
  const x = tf.tensor(new Random(9).uniformArray(8 * 32 * 32 * 3, -1, 1), [8, 32, 32, 3]);
  const { energy, grad } = energyAndGrad(net, x);
  const { grads } = paramGrads(net, () => tf.sum(net.energy(x)) as tf.Scalar);
  const out = [energy.dataSync() as Float32Array, grad.dataSync() as Float32Array, ...net.params.map((p) => grads[p.key].dataSync() as Float32Array)];
  tf.dispose([x, energy, grad, ...Object.values(grads)]);
  net.dispose();
  return out;
}

/** Registers `backend` under a fresh name with every wasm kernel, runs `fn` on it, removes it. */
async function onBackend<T>(name: string, backend: tf.KernelBackend, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  tf.registerBackend(name, () => backend);
  tf.copyRegisteredKernels("wasm", name);
  try {
    assert(await tf.setBackend(name), `backend ${name} started`);
    return await fn();
  } finally {
    clearConvGradCache(); // cached phase filters live on this backend
    await tf.setBackend(previous);
    tf.removeBackend(name);
  }
}

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assertEquals(a.length, b.length, `${what} length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const diff = ua.findIndex((v, i) => v !== ub[i]);
  assert(diff < 0, `${what}: element ${diff} differs (${a[diff]} vs ${b[diff]})`);
}

Deno.test("threaded wasm starts 6 times in a row, each time bit-identical to one thread, leaving no workers", async () => {
  const baseline = liveWorkerCount(); // the process's own wasm backend has its workers
  const helpersBefore = thinHelperStats().helpers;
  // The reference runs on tfjs's single-threaded build (the registered factory would start the
  // threaded one again when this process runs on more threads).
  prepareWasmBackend(1);
  let single: Float32Array[];
  try {
    assert(await tf.setBackend("wasm"), "one-thread wasm started");
    assertEquals(wasmStartInfo()?.threads, 1, "reference backend threads");
    single = vanillaOutputs();
    clearConvGradCache();
  } finally {
    prepareWasmBackend(resolveWasmThreads());
    await tf.setBackend("wasm");
  }
  for (let i = 0; i < 6; i++) {
    const threads = 2 + (i % 2); // 2 and 3: more threads than cores must work too
    const { module } = await startThreadedModule(threads);
    setThreadsCount(threads);
    const backend = new BackendWasm(module as never);
    const splitBefore = thinHelperStats().splitCalls;
    const got = await onBackend(`wasm-threads-${i}`, backend, async () => {
      assertEquals((tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount(), threads, "XNNPACK pool size");
      // The thin first layer splits its images with a helper thread on this heap.
      const heapMemory = (module as { heapMemory?: WebAssembly.Memory }).heapMemory!;
      assert(await startThinHelper(heapMemory), `start ${i}: the thin-convolution helper came up`);
      try {
        return vanillaOutputs();
      } finally {
        stopThinHelper(heapMemory);
      }
    });
    // Thin forward ×2, input gradient, filter gradient, padded swaps, leaky-ReLU gradients.
    assert(thinHelperStats().splitCalls >= splitBefore + 6, `start ${i}: the project's kernels were split over two threads (${thinHelperStats().splitCalls - splitBefore} calls)`);
    sameBits(got[0], single[0], `start ${i} (${threads} threads) energies`);
    sameBits(got[1], single[1], `start ${i} (${threads} threads) ∇x`);
    for (let k = 2; k < single.length; k++) sameBits(got[k], single[k], `start ${i} (${threads} threads) ∇θ ${k - 2}`);
    assertEquals(liveWorkerCount(), baseline, `workers left after start ${i} was disposed`);
    assertEquals(thinHelperStats().helpers, helpersBefore, `thin helpers left after start ${i}`);
  }
});

Deno.test("a start that cannot finish in time stops its workers and reports why", async () => {
  const baseline = liveWorkerCount();
  await assertThrowsAsync(() => startThreadedModule(2, 1), "Cannot start threaded wasm with 2 threads", "did not all load within 1 ms");
  // Workers terminate asynchronously; none may be counted as live.
  assertEquals(liveWorkerCount(), baseline, "workers left by the failed start");
  await assertThrowsAsync(() => startThreadedModule(1), "at least 2 threads");
});

Deno.test("the wasm backend falls back to one thread with the reason recorded and logged", async () => {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  try {
    prepareWasmBackend(2, { timeoutMs: 1 });
    assert(await tf.setBackend("wasm"), "wasm started");
    const info = wasmStartInfo();
    assertEquals([info?.requested, info?.threads], [2, 1], "requested 2, runs on 1");
    assert(info?.fallback?.includes("did not all load within 1 ms"), `fallback reason: ${info?.fallback}`);
    assert(warnings.some((w) => w.includes("running on 1 thread")), `logged: ${warnings.join(" | ")}`);
    assertEquals(backendInfo().threads, 1, "backendInfo threads");
    assertEquals(Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync()), [2, 3], "the fallback backend computes");
  } finally {
    console.warn = warn;
    prepareWasmBackend(resolveWasmThreads());
    await tf.setBackend("wasm");
  }
  assertEquals(wasmStartInfo()?.fallback, null, "restarted without fallback");
});

Deno.test("EBM_WASM_THREADS sets the thread count and is validated; the default is every core", () => {
  const old = Deno.env.get(WASM_THREADS_ENV);
  try {
    Deno.env.delete(WASM_THREADS_ENV);
    assertEquals(resolveWasmThreads(), navigator.hardwareConcurrency, "default");
    assert(describeWasmThreads().endsWith("(all cores)"), describeWasmThreads());
    Deno.env.set(WASM_THREADS_ENV, "3");
    assertEquals(resolveWasmThreads(), 3);
    assertEquals(describeWasmThreads(), "3 threads (EBM_WASM_THREADS=3)");
    for (const bad of ["0", "-2", "1.5", "two"]) {
      Deno.env.set(WASM_THREADS_ENV, bad);
      let message = "";
      try {
        resolveWasmThreads();
      } catch (e) {
        message = (e as Error).message;
      }
      assertEquals(message, `Cannot read env EBM_WASM_THREADS: expected a positive integer, got '${bad}'`);
    }
  } finally {
    if (old === undefined) Deno.env.delete(WASM_THREADS_ENV);
    else Deno.env.set(WASM_THREADS_ENV, old);
  }
});

Deno.test("a script on threaded wasm exits by itself once its work is done", async () => {
  const script = new URL("./wasm_exit_script.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    env: { [WASM_THREADS_ENV]: "2" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `exit code (killed after 60 s if it hung); output: ${text}`);
  // Ones through a 3×3×4×8 'same' conv: 2 images × 8 channels × 4 inputs × (3·8 − 2)² taps.
  assert(text.includes(`threads=2 sum=${2 * 8 * 4 * 22 * 22} thin-helper=true split=1 thin-max=28`), `output: ${text}`);
});

Deno.test("small ops run on a one-thread pool, large ops on every thread", async () => {
  prepareWasmBackend(2); // a no-op when the process already runs 2 threads
  try {
    await tf.setBackend("wasm");
    assertEquals(wasmStartInfo()?.threads, 2, "threads");
    const poolThreads = () => (tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount();
    const small = tf.add(tf.ones([100, 64]), 1);
    assertEquals(poolThreads(), 1, "after an add of 6,400 elements");
    const large = tf.add(tf.ones([100, 32, 32, 4]), 1);
    assertEquals(poolThreads(), 2, "after an add of 409,600 elements");
    assertEquals(Array.from((await small.data()).slice(0, 2)), [2, 2], "small result");
    assertEquals(Array.from((await large.data()).slice(-2)), [2, 2], "large result");
    tf.dispose([small, large]);
  } finally {
    prepareWasmBackend(resolveWasmThreads());
    await tf.setBackend("wasm");
  }
});
