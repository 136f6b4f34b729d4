/**
 * Keeps freed tensor buffers in the process heap for reuse. Every native kernel writes a new
 * Float32Array; by default glibc serves allocations above its mmap threshold with fresh pages,
 * so the kernel that first writes an output takes one page fault per 4 KiB. Measured on this VM
 * (Deno, 2 cores): allocating and touching a 13 MB buffer (a VanillaNet activation at batch 100)
 * took 10–12 ms, and 2–4 ms after raising the mmap and trim thresholds with `mallopt`, because
 * freed buffers then stay mapped and are handed out again. PyTorch gets the same effect from
 * its caching allocator. The cost: the heap keeps its peak size instead of shrinking.
 *
 * Set `EBM_NATIVE_HEAP_REUSE=0` to leave glibc's defaults alone.
 *
 * @example
 * ```ts
 * const outcome = keepFreedBuffersInHeap(); // "on" | "off (EBM_NATIVE_HEAP_REUSE=0)" | "unavailable: …"
 * ```
 * @module
 */
import { readEnvSwitch } from "../../util/env.ts";

/** The env var that turns the heap tuning off ("0"). */
export const HEAP_REUSE_ENV = "EBM_NATIVE_HEAP_REUSE";

/** glibc's mallopt parameter numbers (malloc.h). */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;

/** Up to this size, allocations come from the heap and freed memory is not returned to the OS. */
const THRESHOLD_BYTES = 1 << 30;

/**
 * Raises glibc's mmap and trim thresholds (once per process). Returns what happened, for the
 * backend's log line. A libc without mallopt keeps its defaults; only a malformed
 * `EBM_NATIVE_HEAP_REUSE` throws.
 */
export function keepFreedBuffersInHeap(): string {
  if (readEnvSwitch(HEAP_REUSE_ENV) === false) return `off (${HEAP_REUSE_ENV}=0)`;
  try {
    const libc = Deno.dlopen("libc.so.6", { mallopt: { parameters: ["i32", "i32"], result: "i32" } } as const);
    const trim = libc.symbols.mallopt(M_TRIM_THRESHOLD, THRESHOLD_BYTES);
    const mmap = libc.symbols.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES);
    return trim === 1 && mmap === 1 ? "on" : `unavailable: mallopt returned ${trim}/${mmap}`;
  } catch (error) {
    return `unavailable: ${(error as Error).message.split("\n")[0]}`;
  }
}
