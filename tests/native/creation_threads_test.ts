/**
 * oneDNN's JIT kernels fix their split of the work among threads when a primitive is created,
 * from the calling thread's OpenMP count. So every primitive must be created on the thread count
 * it will run with: a large primitive created right after a small one-thread primitive ran must
 * still be created (and run) on every thread, and a small one on one thread.
 */
import { assertEquals } from "../assert.ts";
import { ensureNative } from "./parity.ts";
import { nativeLibraryAvailable } from "../../lib/tensor/native/register.ts";
import { Dnnl, MEMORY_BOUND_WORK_PER_ELEMENT, type Plan, SINGLE_THREAD_WORK } from "../../lib/tensor/native/dnnl.ts";
import { openOmp } from "../../lib/tensor/native/threads.ts";
import { leakyReluPlan } from "../../lib/tensor/native/kernels/flat_plans.ts";
import type { NativeContext } from "../../lib/tensor/native/kernels/context.ts";

await ensureNative();

/** A oneDNN instance whose OpenMP count is tracked, recording that count at each primitive creation. */
function trackedDnnl(threads: number): { dnnl: Dnnl; createdAt: number[]; ranAt: number[] } {
  const dnnl = Dnnl.open(nativeLibraryAvailable().path!);
  let current = 0;
  const omp = openOmp();
  dnnl.setThreadControl((n) => {
    current = n;
    omp.set(n);
  }, threads);
  const createdAt: number[] = [], ranAt: number[] = [];
  const symbols = dnnl.lib.symbols as unknown as Record<string, (...args: unknown[]) => number>;
  const create = symbols.dnnl_primitive_desc_create, execute = symbols.dnnl_primitive_execute;
  symbols.dnnl_primitive_desc_create = (...args) => (createdAt.push(current), create(...args));
  symbols.dnnl_primitive_execute = (...args) => (ranAt.push(current), execute(...args));
  return { dnnl, createdAt, ranAt };
}

function contextOf(dnnl: Dnnl): NativeContext {
  return { dnnl, plan: (_key: string, build: () => Plan) => build() } as unknown as NativeContext;
}

Deno.test("a large primitive created after a one-thread primitive ran is created and run on every thread", () => {
  const { dnnl, createdAt, ranAt } = trackedDnnl(2);
  const ctx = contextOf(dnnl);
  const smallN = 1000, largeN = Math.ceil(SINGLE_THREAD_WORK / MEMORY_BOUND_WORK_PER_ELEMENT) + 16;
  const small = leakyReluPlan(ctx, smallN, 0.05);
  small.run([new Float32Array(smallN), new Float32Array(smallN)]);
  assertEquals(ranAt, [1], "the small primitive runs on one thread");
  createdAt.length = ranAt.length = 0;
  // The OpenMP count is now 1: the large primitive must not be created at that count.
  const large = leakyReluPlan(ctx, largeN, 0.05);
  large.run([new Float32Array(largeN), new Float32Array(largeN)]);
  assertEquals(createdAt, [2], "the large primitive is created on 2 threads");
  assertEquals(ranAt, [2], "and runs on 2 threads");
  createdAt.length = ranAt.length = 0;
  const small2 = leakyReluPlan(ctx, smallN + 1, 0.05);
  small2.run([new Float32Array(smallN + 1), new Float32Array(smallN + 1)]);
  assertEquals(createdAt, [1], "a small primitive created after a large one ran is created on one thread");
  assertEquals(ranAt, [1]);
});
