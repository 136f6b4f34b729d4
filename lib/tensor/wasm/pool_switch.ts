/**
 * Small ops on one thread, large ops on all: XNNPACK runs every operator on tfjs's global
 * thread pool, and for tiny tensors (ToyNet's [100, 64] layers) waking the pool's workers costs
 * more than the op (measured ~1 ms per op on a loaded machine, 10× a toy Langevin step). tfjs
 * exposes no per-op control, so we create a second, one-thread pool and swap the C++ global
 * `tfjs::backend::threadpool` (a pointer in linear memory) before each kernel by input size.
 *
 * The global's address is found, not assumed: creating the one-thread pool through tfjs's own
 * `init_with_threads_count(1)` changes it, and among the words that changed it is the one whose
 * old value makes `get_threads_count()` report the large pool again; creating a second one-thread
 * pool must then store a new pointer in that same word (a field inside a pool would not change).
 * If any check fails, the backend keeps its large pool for every op (and says why).
 *
 * @example
 * ```ts ignore
 * const pools = findPoolSwitch(module, 2); // after new BackendWasm(module)
 * usePoolFor(pools, 100 * 64);             // → the one-thread pool
 * ```
 * @module
 */

/** Where the pool pointer lives and the two pools it can point to. */
export interface PoolSwitch {
  memory: WebAssembly.Memory;
  /** Byte address of `tfjs::backend::threadpool`. */
  address: number;
  /** Pool for ops below {@link SMALL_OP_ELEMENTS} input elements (runs on the calling thread). */
  small: number;
  /** XNNPACK's pool with every thread. */
  large: number;
}

/** Below this many input elements in total an op runs on one thread. */
export const SMALL_OP_ELEMENTS = 32_768;

type Bridge = { initWithThreadsCount(n: number): void; getThreadsCount(): number };

/**
 * Creates the one-thread pool and finds the global pool pointer of a threaded module whose
 * `threads`-thread pool is current. Throws with the reason when the pointer cannot be found;
 * the large pool is current afterwards either way.
 *
 * @example
 * ```ts ignore
 * const pools = findPoolSwitch(module, threads);
 * ```
 */
export function findPoolSwitch(module: Record<string, unknown>, threads: number): PoolSwitch {
  const memory = module.heapMemory as WebAssembly.Memory;
  const tfjs = module.tfjs as Bridge;
  if (tfjs.getThreadsCount() !== threads) throw new Error(`the module runs ${tfjs.getThreadsCount()} threads, expected ${threads}`);
  const before = new Uint32Array(memory.buffer).slice();
  tfjs.initWithThreadsCount(1);
  const after = new Uint32Array(memory.buffer);
  const oneThread = tfjs.getThreadsCount();
  let found: PoolSwitch | null = null;
  for (let i = 0; i < before.length && found === null; i++) {
    if (before[i] === after[i]) continue;
    const small = after[i];
    after[i] = before[i];
    if (tfjs.getThreadsCount() === threads) found = { memory, address: i * 4, small, large: before[i] };
    else after[i] = small;
  }
  if (found === null) {
    throw new Error(`no changed word of the heap restores the ${threads}-thread pool (one-thread pool reported ${oneThread}); tfjs-backend-wasm changed?`);
  }
  // Confirm it is the global and not, say, a count field inside the new pool: creating one more
  // one-thread pool must store a new pointer there, and that pointer must give one thread.
  const words = new Uint32Array(memory.buffer);
  tfjs.initWithThreadsCount(1);
  const again = words[found.address >>> 2];
  if (again === found.large || again === found.small || again < 65_536 || tfjs.getThreadsCount() !== oneThread) {
    words[found.address >>> 2] = found.large;
    throw new Error(`the heap word at ${found.address} did not behave like the pool pointer (it held ${again} after a second pool)`);
  }
  words[found.address >>> 2] = found.large;
  if (tfjs.getThreadsCount() !== threads) throw new Error(`restoring the ${threads}-thread pool at ${found.address} did not take`);
  return { ...found, small: again };
}

let view: Uint32Array | null = null;

/**
 * Points tfjs's global pool at the one-thread pool when `inputElements` is small, else at the
 * large pool.
 *
 * @example
 * ```ts ignore
 * usePoolFor(pools, x.size + w.size);
 * ```
 */
export function usePoolFor(pools: PoolSwitch, inputElements: number): void {
  // A grown memory has a new buffer: views on the old one would write nowhere.
  if (view === null || view.buffer !== pools.memory.buffer) view = new Uint32Array(pools.memory.buffer);
  view[pools.address >>> 2] = inputElements < SMALL_OP_ELEMENTS ? pools.small : pools.large;
}
