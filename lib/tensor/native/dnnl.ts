/**
 * A thin runtime over the oneDNN 2.x C API: one CPU engine and stream, memory descriptors laid
 * out by hand, and `Plan`s — a cached sequence of primitives (with any reorders between tfjs's
 * plain layouts and the layouts oneDNN prefers) that runs on caller-owned Float32Arrays.
 *
 * @example
 * ```ts
 * import { Dnnl } from "./dnnl.ts";
 * const dnnl = Dnnl.open("libdnnl.so.2");
 * const md = dnnl.stridedDesc([2, 3], [3, 1]);
 * ```
 * @module
 */
import { ABI } from "./abi.ts";
import { type DnnlLibrary, openDnnl } from "./library.ts";

type Pointer = Deno.PointerValue;

const STATUS_NAMES: Record<number, string> = {
  0: "success",
  1: "out_of_memory",
  2: "invalid_arguments",
  3: "unimplemented",
  4: "iterator_ends",
  5: "runtime_error",
  6: "not_required",
};

/** The handle value that asks oneDNN to allocate a memory object's buffer itself. */
const ALLOCATE = Deno.UnsafePointer.create(0xffffffffffffffffn);

/** Encodes up to 12 dims as the C `dnnl_dims_t` (int64[12]). */
export function dimsBuffer(values: readonly number[]): BigInt64Array {
  if (values.length > ABI.maxNdims) {
    throw new Error(`Cannot describe dims [${values}]: oneDNN allows at most ${ABI.maxNdims}`);
  }
  const out = new BigInt64Array(ABI.maxNdims);
  values.forEach((v, i) => (out[i] = BigInt(v)));
  return out;
}

/** Which way a user buffer flows relative to a primitive argument. */
export type Direction = "in" | "out";

/**
 * One primitive execution: the primitive, its packed `dnnl_exec_arg_t[]`, its thread count, and
 * for a reorder that brings a user slot into the primitive's layout, that slot.
 */
type Step = { primitive: Pointer; args: Uint8Array; nargs: number; threads: number; readsSlot?: number };

/**
 * Below this much work (floating-point operations, or elements for reorders and elementwise
 * primitives) a primitive runs on one thread. Joining OpenMP workers costs little on an idle
 * machine, but on a loaded one a descheduled worker stalls every parallel region for up to a
 * scheduler time slice: measured here (2 cores, load ≈ 6), a 10-iteration n_f = 8, batch 32
 * training run took 23.0 s with every primitive on 2 threads and 10.8 s on 1 thread. 3·10⁷
 * flops is ~0.6 ms of single-core work, so splitting smaller problems saves at most ~0.3 ms.
 */
export const SINGLE_THREAD_WORK = 3e7;

/**
 * The work one element of a memory-bound primitive (eltwise, binary, transpose) counts for
 * against {@link SINGLE_THREAD_WORK}: 30 puts the split at 10⁶ elements (4 MB per operand,
 * ~1 ms on one core). Larger passes (VanillaNet's activations at batch 100 are 1.6–3.3·10⁶
 * elements) then use every thread, while a small-batch training run (n_f = 8, batch 32: at most
 * 2.6·10⁵ elements) keeps its elementwise work on one thread.
 */
export const MEMORY_BOUND_WORK_PER_ELEMENT = 30;

/**
 * A primitive descriptor plus its primitive, kept alive for the life of the cache, and the
 * OpenMP thread count it was created for (and must run with, see {@link Dnnl.primitive}).
 */
export type Primitive = { pd: Pointer; primitive: Pointer; what: string; threads: number };

/** How {@link Dnnl.primitive} creates a primitive. */
export interface PrimitiveOptions {
  /** Primitive attributes (e.g. post-ops); none when absent. */
  attr?: Pointer;
  /** The forward primitive descriptor a backward primitive needs as a hint. */
  hint?: Pointer;
  /**
   * Floating-point operations (or weighted elements) of one execution: below
   * {@link SINGLE_THREAD_WORK} the primitive is created for, and runs on, one thread. Absent for
   * primitives that are only hints and never run.
   */
  work?: number;
}

/** One operand of {@link singlePrimitivePlan}: a new user slot bound to a primitive argument. */
export interface SlotOperand {
  /** DNNL_ARG_* of the argument. */
  arg: number;
  /** The user's (plain) layout of the slot. */
  md: Uint8Array;
  /** The primitive-descriptor query for the layout the primitive wants, and its index. */
  query: number;
  index?: number;
  direction: Direction;
}

/**
 * A plan of one execution of `primitive` whose operands each get a user slot, in the given order
 * (the order of `run`'s buffers); reorders bridge slots whose layout the primitive does not take.
 */
export function singlePrimitivePlan(dnnl: Dnnl, primitive: Primitive, operands: SlotOperand[]): Plan {
  const plan = new Plan(dnnl);
  const afterOutputs: Array<() => void> = [];
  const slots = operands.map((o) => plan.addSlot(o.md));
  const args = operands.map((o, i): [number, Pointer] =>
    [o.arg, plan.bind(slots[i], o.md, dnnl.queryMd(primitive, o.query, o.index), o.direction, afterOutputs)]
  );
  plan.addStep(primitive, args);
  afterOutputs.forEach((step) => step());
  return plan;
}

/**
 * A compiled sequence of primitive executions bound to user slots. `run(buffers)` points slot i
 * at `buffers[i]` and executes every step in order, synchronously.
 */
export class Plan {
  private readonly steps: Step[] = [];
  private readonly slots: Pointer[] = [];
  /** Per slot, the content token of the data last reordered into the plan's own memory. */
  private readonly reordered: unknown[] = [];

  constructor(private readonly dnnl: Dnnl) {}

  /** Adds a user slot described by `md`; returns its index (the position in `run`'s buffers). */
  addSlot(md: Uint8Array): number {
    this.slots.push(this.dnnl.createMemory(Deno.UnsafePointer.of(md), null));
    return this.slots.length - 1;
  }

  /** The memory object behind a slot, for use as a primitive argument. */
  slotMemory(slot: number): Pointer {
    return this.slots[slot];
  }

  /**
   * Returns a memory object to pass as a primitive argument whose layout is `wantedMd` (from a
   * primitive descriptor query), bridging from/to the slot with a reorder when layouts differ.
   * Inputs are reordered before the steps added after this call; outputs need `finish()` steps.
   */
  bind(slot: number, userMd: Uint8Array, wantedMd: Pointer, direction: Direction, pending: Array<() => void>): Pointer {
    if (this.dnnl.descEqual(userMd, wantedMd)) return this.slots[slot];
    const internal = this.dnnl.createMemory(wantedMd, ALLOCATE);
    if (direction === "in") {
      const reorder = this.dnnl.reorder(Deno.UnsafePointer.of(userMd), wantedMd);
      this.addStep(reorder, [[ABI.arg.from, this.slots[slot]], [ABI.arg.to, internal]]);
      this.steps[this.steps.length - 1].readsSlot = slot;
    } else {
      const reorder = this.dnnl.reorder(wantedMd, Deno.UnsafePointer.of(userMd));
      pending.push(() => this.addStep(reorder, [[ABI.arg.from, internal], [ABI.arg.to, this.slots[slot]]]));
    }
    return internal;
  }

  /** Allocates a oneDNN-owned scratch memory (e.g. a pooling workspace). */
  scratch(md: Pointer): Pointer {
    return this.dnnl.createMemory(md, ALLOCATE);
  }

  /**
   * Appends one execution of `primitive` with (DNNL_ARG_*, memory) pairs, on the thread count
   * the primitive was created for.
   */
  addStep(primitive: Primitive, args: Array<[number, Pointer]>): void {
    const packed = new Uint8Array(args.length * ABI.sizes.execArg);
    const view = new DataView(packed.buffer);
    args.forEach(([arg, memory], i) => {
      view.setInt32(i * ABI.sizes.execArg + ABI.offsets.execArgArg, arg, true);
      view.setBigUint64(
        i * ABI.sizes.execArg + ABI.offsets.execArgMemory,
        BigInt(Deno.UnsafePointer.value(memory)),
        true,
      );
    });
    this.steps.push({ primitive: primitive.primitive, args: packed, nargs: args.length, threads: primitive.threads });
  }

  /**
   * Points every slot at its buffer and executes all steps; returns once results are written.
   *
   * `contents[i]`, when given, identifies what slot i holds (e.g. the tfjs dataId of a weight
   * tensor, whose values never change while it lives): when it is the same as on this plan's
   * previous run, the reorder of that slot into the primitive's layout is skipped, since the
   * plan's own memory still holds its result. A Langevin chain thus reorders each filter once,
   * not once per step.
   */
  run(buffers: ReadonlyArray<Float32Array | Uint8Array>, contents?: ReadonlyArray<unknown>): void {
    if (buffers.length !== this.slots.length) {
      throw new Error(`Cannot run a oneDNN plan: expected ${this.slots.length} buffers, got ${buffers.length}`);
    }
    const s = this.dnnl.lib.symbols;
    for (let i = 0; i < buffers.length; i++) {
      this.dnnl.check(s.dnnl_memory_set_data_handle(this.slots[i], buffers[i]), "dnnl_memory_set_data_handle");
    }
    for (const step of this.steps) {
      const slot = step.readsSlot;
      if (slot !== undefined) {
        const token = contents?.[slot];
        if (token !== undefined && token === this.reordered[slot]) continue;
        // Forget the old token first: if this reorder throws, the memory holds nothing known.
        this.reordered[slot] = undefined;
      }
      this.dnnl.useThreads(step.threads);
      this.dnnl.check(s.dnnl_primitive_execute(step.primitive, this.dnnl.stream, step.nargs, step.args), "dnnl_primitive_execute");
      this.dnnl.executions++;
      if (slot !== undefined) this.reordered[slot] = contents?.[slot];
    }
    this.dnnl.check(s.dnnl_stream_wait(this.dnnl.stream), "dnnl_stream_wait");
  }
}

/** Sets the OpenMP thread count of the calling thread (see threads.ts). */
export type ThreadSetter = (n: number) => void;

/** One CPU engine + stream over an opened libdnnl, with helpers to build plans. */
export class Dnnl {
  /** Threads used by large primitives. */
  threads = 1;
  /** Primitive executions so far (reorders included), for tests and benchmarks. */
  executions = 0;
  private current = 1;
  private setter: ThreadSetter | null = null;

  private constructor(
    readonly lib: DnnlLibrary,
    readonly version: string,
    readonly path: string,
    readonly engine: Pointer,
    readonly stream: Pointer,
  ) {}

  /** Opens `path` and creates the CPU engine and an in-order stream. */
  static open(path: string): Dnnl {
    const { lib, version } = openDnnl(path);
    const out = new BigUint64Array(1);
    const status = lib.symbols.dnnl_engine_create(out, ABI.engineKind.cpu, 0n);
    if (status !== ABI.status.success) throw new Error(`Cannot create a oneDNN CPU engine: status ${status}`);
    const engine = Deno.UnsafePointer.create(out[0]);
    const streamStatus = lib.symbols.dnnl_stream_create(out, engine, ABI.streamFlags.default);
    if (streamStatus !== ABI.status.success) throw new Error(`Cannot create a oneDNN stream: status ${streamStatus}`);
    return new Dnnl(lib, version, path, engine, Deno.UnsafePointer.create(out[0]));
  }

  /** Installs the OpenMP thread control; `threads` becomes the count for large primitives. */
  setThreadControl(setter: ThreadSetter, threads: number): void {
    this.setter = setter;
    this.threads = threads;
    this.current = threads;
    setter(threads);
  }

  /** The thread count for a primitive doing `work` per execution (see {@link SINGLE_THREAD_WORK}). */
  threadsFor(work: number): number {
    return work < SINGLE_THREAD_WORK ? 1 : this.threads;
  }

  /** Switches the OpenMP thread count when it differs from the current one. */
  useThreads(n: number): void {
    if (n !== this.current && this.setter) {
      this.setter(n);
      this.current = n;
    }
  }

  /** Number of f32 elements a descriptor's buffer holds (bytes / 4). */
  elements(md: Pointer): number {
    return Number(this.lib.symbols.dnnl_memory_desc_get_size(md)) / 4;
  }

  /** Throws a message naming the call when `status` is not success. */
  check(status: number, what: string): void {
    if (status !== ABI.status.success) {
      throw new Error(`oneDNN call ${what} failed: ${STATUS_NAMES[status] ?? "unknown"} (status ${status})`);
    }
  }

  /** A plain memory descriptor (f32 unless given) with explicit element strides (logical dims order). */
  stridedDesc(dims: readonly number[], strides: readonly number[], dataType: number = ABI.dataType.f32): Uint8Array {
    const md = new Uint8Array(ABI.sizes.memoryDesc);
    this.check(
      this.lib.symbols.dnnl_memory_desc_init_by_strides(
        md,
        dims.length,
        dimsBuffer(dims),
        dataType,
        dimsBuffer(strides),
      ),
      `dnnl_memory_desc_init_by_strides([${dims}], [${strides}])`,
    );
    return md;
  }

  /** A dense row-major f32 descriptor. */
  denseDesc(dims: readonly number[]): Uint8Array {
    const strides = new Array<number>(dims.length);
    let stride = 1;
    for (let i = dims.length - 1; i >= 0; i--) {
      strides[i] = stride;
      stride *= dims[i];
    }
    return this.stridedDesc(dims, strides);
  }

  /** A descriptor with `format_tag_any`: lets the primitive choose its preferred layout. */
  anyDesc(dims: readonly number[]): Uint8Array {
    const md = new Uint8Array(ABI.sizes.memoryDesc);
    this.check(
      this.lib.symbols.dnnl_memory_desc_init_by_tag(md, dims.length, dimsBuffer(dims), ABI.dataType.f32, ABI.formatTag.any),
      `dnnl_memory_desc_init_by_tag([${dims}], any)`,
    );
    return md;
  }

  /** True when the two descriptors describe the same layout. */
  descEqual(a: Uint8Array, b: Pointer): boolean {
    return this.lib.symbols.dnnl_memory_desc_equal(a, b) !== 0;
  }

  /** Creates a memory object over `handle` (null = set later, ALLOCATE = oneDNN-owned). */
  createMemory(md: Pointer, handle: Pointer): Pointer {
    const out = new BigUint64Array(1);
    this.check(this.lib.symbols.dnnl_memory_create(out, md, this.engine, handle), "dnnl_memory_create");
    return Deno.UnsafePointer.create(out[0]);
  }

  /**
   * Creates a primitive descriptor + primitive from an operation descriptor, for the thread count
   * its `work` calls for.
   *
   * The OpenMP thread count is set to that count *before* creation: oneDNN's JIT kernels fix how
   * they split the work among threads when the primitive is created, from the calling thread's
   * OpenMP count, and keep that split for every execution. A large convolution created while a
   * small one-thread primitive had left the count at 1 ran on one thread for the rest of the
   * process: measured 13.8 vs 7.4 ms per VanillaNet backward-data call, 2 threads idle.
   */
  primitive(opDesc: Uint8Array, what: string, options: PrimitiveOptions = {}): Primitive {
    const threads = this.threadsFor(options.work ?? Infinity);
    this.useThreads(threads);
    const out = new BigUint64Array(1);
    this.check(
      this.lib.symbols.dnnl_primitive_desc_create(out, opDesc, options.attr ?? null, this.engine, options.hint ?? null),
      `dnnl_primitive_desc_create for ${what}`,
    );
    const pd = Deno.UnsafePointer.create(out[0]);
    this.check(this.lib.symbols.dnnl_primitive_create(out, pd), `dnnl_primitive_create for ${what}`);
    return { pd, primitive: Deno.UnsafePointer.create(out[0]), what, threads };
  }

  /**
   * A reorder primitive between two layouts of the same logical tensor; `work` defaults to its
   * element count (see {@link primitive} for why it is fixed at creation).
   */
  reorder(from: Pointer, to: Pointer, work: number = this.elements(to)): Primitive {
    const threads = this.threadsFor(work);
    this.useThreads(threads);
    const out = new BigUint64Array(1);
    this.check(
      this.lib.symbols.dnnl_reorder_primitive_desc_create(out, from, this.engine, to, this.engine, null),
      "dnnl_reorder_primitive_desc_create",
    );
    const pd = Deno.UnsafePointer.create(out[0]);
    this.check(this.lib.symbols.dnnl_primitive_create(out, pd), "dnnl_primitive_create for a reorder");
    return { pd, primitive: Deno.UnsafePointer.create(out[0]), what: "reorder", threads };
  }

  /** The memory descriptor a primitive expects for `query` (e.g. ABI.query.weightsMd). */
  queryMd(p: Primitive, query: number, index = 0): Pointer {
    const md = this.lib.symbols.dnnl_primitive_desc_query_md(p.pd, query, index);
    if (md === null) throw new Error(`oneDNN primitive ${p.what} has no memory descriptor for query ${query}`);
    return md;
  }

  /** Builds primitive attributes carrying one eltwise post-op, or null for none. */
  eltwiseAttr(post: { alg: number; alpha: number; beta: number } | null): Pointer {
    if (!post) return null;
    const out = new BigUint64Array(1);
    this.check(this.lib.symbols.dnnl_post_ops_create(out), "dnnl_post_ops_create");
    const ops = Deno.UnsafePointer.create(out[0]);
    this.check(this.lib.symbols.dnnl_post_ops_append_eltwise(ops, 1, post.alg, post.alpha, post.beta), "dnnl_post_ops_append_eltwise");
    this.check(this.lib.symbols.dnnl_primitive_attr_create(out), "dnnl_primitive_attr_create");
    const attr = Deno.UnsafePointer.create(out[0]);
    this.check(this.lib.symbols.dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
    this.lib.symbols.dnnl_post_ops_destroy(ops);
    return attr;
  }
}
