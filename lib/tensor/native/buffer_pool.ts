/**
 * Reuses the output buffers of native kernels once their tensors are disposed, as PyTorch's
 * caching allocator does. `new Float32Array(n)` zero-fills: with freed memory kept in the heap
 * (heap.ts) that is a single-threaded memset per output — measured here, allocating and touching
 * the ~77 MB a VanillaNet Langevin step writes (batch 100) took 8–10 ms on the main thread while
 * the oneDNN worker thread waits. A pooled buffer comes back with stale contents, so only kernels
 * that overwrite every element take their outputs from here.
 *
 * Safety: a buffer is recycled only while the pool is sure nothing else can see it. It is
 * tracked from `take` on; it stops being tracked ("escapes") for good when its values are read
 * out of the backend (`dataSync`/`data` hand out the array itself), when a view of it or the
 * same array is registered as a second tensor's data, or when its tensor is never disposed
 * (then the garbage collector frees it as before). Arrays the pool did not hand out (e.g. the
 * user's own array passed to `tf.tensor`) are never taken in.
 *
 * @example
 * ```ts
 * const pool = new BufferPool(512 * 2 ** 20);
 * const out = pool.take(1024);      // contents unspecified: overwrite every element
 * pool.registered(out);             // the backend stored it as a tensor's data
 * pool.released(out);               // the tensor was disposed: out may be handed out again
 * ```
 * @module
 */
import { readEnvInteger } from "../../util/env.ts";

/** The env var that sets the pool's cap in MiB of free buffers ("0" turns pooling off). */
export const POOL_ENV = "EBM_NATIVE_POOL_MB";

/** Default cap on the bytes of free buffers kept for reuse. */
export const DEFAULT_POOL_MB = 512;

/** Counters for tests and benchmarks. */
export type PoolStats = { hits: number; misses: number; escaped: number; freeBytes: number };

/** A size-keyed free list of Float32Arrays handed out to native kernels. */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Buffers handed out by `take` that have not escaped, by their ArrayBuffer. */
  private readonly tracked = new WeakMap<ArrayBufferLike, Float32Array>();
  /** Tracked buffers currently stored as some tensor's data. */
  private readonly inUse = new WeakSet<Float32Array>();
  private freeBytes = 0;
  private hits = 0;
  private misses = 0;
  private escapes = 0;

  /** `capBytes` bounds the free buffers kept; 0 disables reuse (every `take` allocates). */
  constructor(readonly capBytes: number) {}

  /** A Float32Array of `n` elements with unspecified contents (a freed one when available). */
  take(n: number): Float32Array {
    if (this.capBytes <= 0 || n === 0) return new Float32Array(n);
    const list = this.free.get(n);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.freeBytes -= reused.byteLength;
      this.hits++;
      return reused;
    }
    this.misses++;
    const fresh = new Float32Array(n);
    this.tracked.set(fresh.buffer, fresh);
    return fresh;
  }

  /** Call when `values` becomes a tensor's data: a second owner or a view makes it escape. */
  registered(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const own = this.tracked.get(values.buffer);
    if (own === undefined) return;
    if (own !== values || this.inUse.has(own)) this.escape(own);
    else this.inUse.add(own);
  }

  /**
   * Call when the tensor data holding `values` is deleted: the buffer returns to the free list.
   * Over the cap, free buffers of the sizes released longest ago are dropped first (a pipeline
   * that moves on to other shapes does not keep the old ones).
   */
  released(values: unknown): void {
    if (!(values instanceof Float32Array) || !this.inUse.has(values)) return;
    this.inUse.delete(values);
    if (this.tracked.get(values.buffer) !== values) return;
    if (values.byteLength > this.capBytes) {
      this.tracked.delete(values.buffer);
      return;
    }
    // Re-inserting the size moves it to the end of the map's order: most recently released last.
    const list = this.free.get(values.length) ?? [];
    this.free.delete(values.length);
    this.free.set(values.length, list);
    list.push(values);
    this.freeBytes += values.byteLength;
    for (const [length, stale] of this.free) {
      if (this.freeBytes <= this.capBytes) break;
      while (stale.length > 0 && this.freeBytes > this.capBytes) {
        const dropped = stale.shift()!;
        this.tracked.delete(dropped.buffer);
        this.freeBytes -= dropped.byteLength;
      }
      if (stale.length === 0) this.free.delete(length);
    }
  }

  /** Call when `values` leaves the backend (read out): it is never recycled. */
  escaped(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const own = this.tracked.get(values.buffer);
    if (own !== undefined) this.escape(own);
  }

  /** Drops every free buffer (they are garbage-collected). */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }

  /** Hits, misses, escapes and free bytes so far. */
  stats(): PoolStats {
    return { hits: this.hits, misses: this.misses, escaped: this.escapes, freeBytes: this.freeBytes };
  }

  private escape(own: Float32Array): void {
    this.tracked.delete(own.buffer);
    this.inUse.delete(own);
    this.escapes++;
  }
}

/**
 * The pool cap from `EBM_NATIVE_POOL_MB` (MiB, a non-negative integer; default
 * {@link DEFAULT_POOL_MB}) in bytes.
 *
 * @example
 * ```ts
 * const pool = new BufferPool(resolvePoolBytes());
 * ```
 */
export function resolvePoolBytes(): number {
  return (readEnvInteger(POOL_ENV, 0) ?? DEFAULT_POOL_MB) * 2 ** 20;
}
