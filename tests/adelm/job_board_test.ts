import { createJobBoard, openJobBoard } from "../../lib/adelm/job_board.ts";
import { readSharedSource, shareEnergySource } from "../../lib/adelm/shared_source.ts";
import type { EnergySource } from "../../lib/adelm/energy_source.ts";
import { assert, assertEquals } from "../assert.ts";

function throwsMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "(no error)";
}

Deno.test("adelm job board: jobs are claimed once each in order, shared vectors stored once, copies are private", () => {
  const a = Float32Array.of(1, 2, 3), b = Float32Array.of(4, 5, 6), c = Float32Array.of(7, 8, 9);
  const board = createJobBoard([
    { vectors: [a, b], seed: 11 },
    { vectors: [b, a], seed: 2 ** 40 + 3 },
    { vectors: [c, a], seed: 0 },
  ]);
  assertEquals([board.count, board.arity, board.dim, board.vectorCount], [3, 2, 3, 3]);
  const jobs = openJobBoard(board), other = openJobBoard(structuredClone(board));
  assertEquals([jobs.claim(), other.claim(), jobs.claim(), other.claim(), jobs.claim()], [0, 1, 2, -1, -1], "two openers share one counter");
  assertEquals([jobs.seed(0), jobs.seed(1), jobs.seed(2)], [11, 2 ** 40 + 3, 0], "seeds are exact");
  jobs.finish();
  other.finish();
  assertEquals(jobs.finished, 2, "finished jobs are counted over all openers");
  assertEquals(Array.from(other.vector(1, 0)), [4, 5, 6]);
  assertEquals(Array.from(other.vector(2, 1)), [1, 2, 3]);
  const copy = jobs.vector(0, 0);
  assert(!(copy.buffer instanceof SharedArrayBuffer), "vectors come back as private copies");
  copy[0] = 100;
  assertEquals(jobs.vector(0, 0)[0], 1, "writing a copy leaves the board alone");
  assertEquals(throwsMessage(() => jobs.vector(3, 0)), "Cannot read job 3 vector 0: the board has 3 jobs of 2 vectors");
});

Deno.test("adelm job board: cancel stops claims and in-flight loops", () => {
  const v = Float32Array.of(0);
  const jobs = openJobBoard(createJobBoard([{ vectors: [v], seed: 1 }, { vectors: [v], seed: 2 }]));
  assertEquals(jobs.claim(), 0);
  jobs.throwIfAborted();
  jobs.cancel();
  assert(jobs.cancelled, "cancelled flag");
  assertEquals(jobs.claim(), -1, "no claims after cancel");
  assert(throwsMessage(() => jobs.throwIfAborted()).includes("the job board was cancelled"), "in-flight loops stop");
});

Deno.test("adelm job board: malformed jobs are refused naming the job", () => {
  const v = Float32Array.of(0, 1);
  assertEquals(throwsMessage(() => createJobBoard([])), "Cannot create a job board: expected at least one job, got none");
  assertEquals(throwsMessage(() => createJobBoard([{ vectors: [v], seed: 1 }, { vectors: [v, v], seed: 2 }])), "Cannot create a job board: job 1 has 2 vectors, job 0 has 1");
  assertEquals(throwsMessage(() => createJobBoard([{ vectors: [v], seed: 1 }, { vectors: [Float32Array.of(1)], seed: 2 }])), "Cannot create a job board: job 1 vector 0 has 1 elements, expected 2");
  assertEquals(throwsMessage(() => createJobBoard([{ vectors: [v], seed: NaN }])), "Cannot create a job board: job 0 has seed NaN; expected a finite number");
});

Deno.test("adelm shared source: the JSON round-trips and equal sources share a key", () => {
  const source: EnergySource = { kind: "analytic", wells: [{ center: [0, 1.5], weight: 0.7, sigma: 1 }, { center: [3, -2], weight: 1, sigma: 0.5 }] };
  const shared = shareEnergySource(source);
  assert(shared.json instanceof SharedArrayBuffer, "the JSON lives in shared memory");
  assertEquals(readSharedSource(structuredClone(shared)), source);
  assertEquals(shareEnergySource(structuredClone(source)).key, shared.key, "equal sources, equal keys");
  const other: EnergySource = { ...source, wells: [source.wells[0]] };
  assert(shareEnergySource(other).key !== shared.key, "different sources, different keys");
});
