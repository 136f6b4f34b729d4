/** The library probe, the registration contract and thread-count handling. */
import { assert, assertEquals } from "../assert.ts";
import { nativeLibraryAvailable, registerNativeBackend } from "../../lib/tensor/native/register.ts";
import { locateDnnl } from "../../lib/tensor/native/library.ts";
import { resolveThreadCount } from "../../lib/tensor/native/threads.ts";
import { HEAP_REUSE_ENV, keepFreedBuffersInHeap } from "../../lib/tensor/native/heap.ts";
import { withEnv } from "../env.ts";

Deno.test("nativeLibraryAvailable finds oneDNN (libdnnl2 must be installed)", () => {
  const found = withEnv("EBM_DNNL_PATH", undefined, () => nativeLibraryAvailable());
  assert(found.ok, `oneDNN not found; install Debian libdnnl2: ${found.reason}`);
  assert(/libdnnl\.so\.[23]$/.test(found.path ?? ""), `unexpected path ${found.path}`);
});

Deno.test("EBM_DNNL_PATH wins and a bad path is a one-line reason, not a throw", () => {
  const bad = withEnv("EBM_DNNL_PATH", "/nonexistent/libdnnl.so.2", () => locateDnnl());
  assertEquals(bad.ok, false);
  assert(bad.reason?.includes("/nonexistent/libdnnl.so.2") && !bad.reason.includes("\n"), `reason: ${bad.reason}`);
  const good = withEnv("EBM_DNNL_PATH", "/usr/lib/x86_64-linux-gnu/libdnnl.so.2", () => locateDnnl());
  assert(good.ok, `explicit path rejected: ${good.reason}`);
  assertEquals(good.path, "/usr/lib/x86_64-linux-gnu/libdnnl.so.2");
});

Deno.test("a library that is not oneDNN 2.x is rejected with a reason", () => {
  const other = withEnv("EBM_DNNL_PATH", "libm.so.6", () => locateDnnl());
  assertEquals(other.ok, false);
  assert(other.reason !== undefined && other.reason.length > 0);
});

Deno.test("thread count: EBM_NATIVE_THREADS overrides, default is the core count (1 in a worker thread), junk is rejected", () => {
  assertEquals(withEnv("EBM_NATIVE_THREADS", "3", () => resolveThreadCount()), 3);
  assertEquals(withEnv("EBM_NATIVE_THREADS", undefined, () => resolveThreadCount()), navigator.hardwareConcurrency);
  assertEquals(withEnv("EBM_NATIVE_THREADS", undefined, () => resolveThreadCount(false)), 1, "a pool worker defaults to one thread");
  assertEquals(withEnv("EBM_NATIVE_THREADS", "2", () => resolveThreadCount(false)), 2, "the variable applies in workers too");
  let message = "";
  try {
    withEnv("EBM_NATIVE_THREADS", "-2", () => resolveThreadCount());
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("EBM_NATIVE_THREADS") && message.includes("'-2'"), `message: ${message}`);
});

Deno.test("registerNativeBackend registers 'native' and reports library and threads", async () => {
  const reg = await registerNativeBackend();
  assert(reg.ok, `registration failed: ${!reg.ok ? reg.reason : ""}`);
  assert(reg.library.includes("oneDNN 2."), reg.library);
  assert(reg.threads >= 1, `threads ${reg.threads}`);
  const again = await registerNativeBackend();
  assertEquals(again, reg, "repeated registration returns the first outcome");
  const tf = await import("@tensorflow/tfjs-core");
  assert(tf.findBackendFactory("native") !== null, "backend 'native' not registered with tfjs");
  assert(tf.getKernel("Conv2D", "native") !== undefined && tf.getKernel("Add", "native") !== undefined);
});

Deno.test("locating oneDNN asks OpenMP for passive waiting unless the user chose a policy", () => {
  withEnv("OMP_WAIT_POLICY", undefined, () => {
    locateDnnl();
    assertEquals(Deno.env.get("OMP_WAIT_POLICY"), "passive");
  });
  withEnv("OMP_WAIT_POLICY", "active", () => {
    locateDnnl();
    assertEquals(Deno.env.get("OMP_WAIT_POLICY"), "active");
  });
});

Deno.test("heap reuse: on by default (glibc mallopt answers), off with EBM_NATIVE_HEAP_REUSE=0, junk is rejected", () => {
  assertEquals(withEnv(HEAP_REUSE_ENV, undefined, () => keepFreedBuffersInHeap()), "on");
  assertEquals(withEnv(HEAP_REUSE_ENV, "0", () => keepFreedBuffersInHeap()), `off (${HEAP_REUSE_ENV}=0)`);
  let message = "";
  try {
    withEnv(HEAP_REUSE_ENV, "yes", () => keepFreedBuffersInHeap());
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes(HEAP_REUSE_ENV) && message.includes("'yes'"), `message: ${message}`);
});

Deno.test("the registered native backend reports heap reuse", async () => {
  const reg = await registerNativeBackend();
  assert(reg.ok, `registration failed: ${reg.ok ? "" : reg.reason}`);
  assertEquals(reg.heap, "on");
});
