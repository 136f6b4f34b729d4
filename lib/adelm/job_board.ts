/**
 * A job board in shared memory: the pool executor packs a call's jobs (their state vectors and
 * stream seeds) into one `SharedArrayBuffer` and every worker claims the next unclaimed job with
 * an atomic increment. Workers therefore pull work as they free up — no per-job messages, no
 * fixed chunks that finish unevenly — and a job's result never depends on who ran it, because
 * its seed travels with it. A cancel flag lets the caller (abort) or a failing worker stop the
 * others, and a finished-jobs counter lets the caller report progress while workers run.
 *
 * Layout: `Int32[3]` header (next job, cancelled, finished jobs) · `Float64[count]` seeds ·
 * `Int32[count·arity]` vector slot of each job's k-th vector · `Float32[vectors·dim]` vectors.
 * Vectors shared by several jobs (a basin representative used as target by many trials) are
 * stored once.
 *
 * @example
 * ```ts ignore
 * import { createJobBoard, openJobBoard } from "./job_board.ts";
 * const board = createJobBoard([{ vectors: [start, target], seed: 17 }]); // send `board` to workers
 * const jobs = openJobBoard(board); // in a worker
 * for (let i = jobs.claim(); i >= 0; i = jobs.claim()) run(jobs.vector(i, 0), jobs.vector(i, 1), jobs.seed(i));
 * ```
 * @module
 */

/** The plain, structured-cloneable description of a board (the buffer is shared, not copied). */
export interface JobBoard {
  readonly buffer: SharedArrayBuffer;
  /** Number of jobs. */
  readonly count: number;
  /** Vectors per job (2 for an AD trial: start and target; 1 for a search chain). */
  readonly arity: number;
  /** Elements per vector. */
  readonly dim: number;
  /** Distinct vectors stored. */
  readonly vectorCount: number;
}

/** One job as handed to {@link createJobBoard}. */
export interface BoardJob {
  vectors: Float32Array[];
  seed: number;
}

const HEADER_INTS = 3, NEXT = 0, CANCELLED = 1, FINISHED = 2;

function layout(count: number, arity: number) {
  const seeds = 16; // after the 12-byte header, rounded up for Float64 alignment
  const slots = seeds + count * 8;
  const vectors = slots + count * arity * 4;
  return { seeds, slots, vectors };
}

/** Packs `jobs` into a new board; every job needs the same number of equal-length vectors. */
export function createJobBoard(jobs: BoardJob[]): JobBoard {
  if (jobs.length === 0) throw new Error("Cannot create a job board: expected at least one job, got none");
  const arity = jobs[0].vectors.length, dim = arity > 0 ? jobs[0].vectors[0].length : 0;
  if (arity < 1 || dim < 1) throw new Error(`Cannot create a job board: job 0 has ${arity} vectors of ${dim} elements; expected at least one non-empty vector`);
  const slotOf = new Map<Float32Array, number>();
  const distinct: Float32Array[] = [];
  const slotList = new Int32Array(jobs.length * arity);
  jobs.forEach((job, j) => {
    if (job.vectors.length !== arity) throw new Error(`Cannot create a job board: job ${j} has ${job.vectors.length} vectors, job 0 has ${arity}`);
    if (!Number.isFinite(job.seed)) throw new Error(`Cannot create a job board: job ${j} has seed ${job.seed}; expected a finite number`);
    job.vectors.forEach((v, k) => {
      if (v.length !== dim) throw new Error(`Cannot create a job board: job ${j} vector ${k} has ${v.length} elements, expected ${dim}`);
      let slot = slotOf.get(v);
      if (slot === undefined) {
        slot = distinct.length;
        distinct.push(v);
        slotOf.set(v, slot);
      }
      slotList[j * arity + k] = slot;
    });
  });
  const at = layout(jobs.length, arity);
  const buffer = new SharedArrayBuffer(at.vectors + distinct.length * dim * 4);
  const seeds = new Float64Array(buffer, at.seeds, jobs.length);
  jobs.forEach((job, j) => (seeds[j] = job.seed));
  new Int32Array(buffer, at.slots, slotList.length).set(slotList);
  const vectors = new Float32Array(buffer, at.vectors, distinct.length * dim);
  distinct.forEach((v, s) => vectors.set(v, s * dim));
  return { buffer, count: jobs.length, arity, dim, vectorCount: distinct.length };
}

/** Access to a board from any thread. */
export interface OpenJobBoard {
  readonly count: number;
  /** Index of the next unclaimed job, or -1 when none is left or the board was cancelled. */
  claim(): number;
  /** Stream seed of job `index`. */
  seed(index: number): number;
  /** A private (unshared) copy of vector `k` of job `index`. */
  vector(index: number, k: number): Float32Array;
  /** Counts one more finished job (workers call it as each job completes). */
  finish(): void;
  /** Jobs finished so far, over all workers. */
  readonly finished: number;
  /** Stops every worker from claiming further jobs; in-flight work sees {@link cancelled}. */
  cancel(): void;
  readonly cancelled: boolean;
  /** Throws when the board was cancelled (for lockstep loops: stop in-flight jobs early). */
  throwIfAborted(): void;
}

/** Opens `board` (a cloned {@link JobBoard} works: the buffer is the same memory). */
export function openJobBoard(board: JobBoard): OpenJobBoard {
  const { buffer, count, arity, dim, vectorCount } = board;
  const at = layout(count, arity);
  if (buffer.byteLength !== at.vectors + vectorCount * dim * 4) {
    throw new Error(`Cannot open the job board: its buffer has ${buffer.byteLength} bytes, its description needs ${at.vectors + vectorCount * dim * 4}`);
  }
  const header = new Int32Array(buffer, 0, HEADER_INTS);
  const seeds = new Float64Array(buffer, at.seeds, count);
  const slots = new Int32Array(buffer, at.slots, count * arity);
  const vectors = new Float32Array(buffer, at.vectors, vectorCount * dim);
  return {
    count,
    claim() {
      if (Atomics.load(header, CANCELLED) !== 0) return -1;
      // the counter only grows; values past `count` just mean "drained"
      const index = Atomics.add(header, NEXT, 1);
      return index < count ? index : -1;
    },
    seed: (index) => seeds[index],
    vector(index, k) {
      if (!(index >= 0 && index < count && k >= 0 && k < arity)) throw new Error(`Cannot read job ${index} vector ${k}: the board has ${count} jobs of ${arity} vectors`);
      const start = slots[index * arity + k] * dim;
      return vectors.slice(start, start + dim);
    },
    finish: () => void Atomics.add(header, FINISHED, 1),
    get finished() {
      return Atomics.load(header, FINISHED);
    },
    cancel: () => void Atomics.store(header, CANCELLED, 1),
    get cancelled() {
      return Atomics.load(header, CANCELLED) !== 0;
    },
    throwIfAborted() {
      if (Atomics.load(header, CANCELLED) !== 0) throw new Error("Cannot continue the jobs: the job board was cancelled (the run was aborted or another worker failed)");
    },
  };
}
