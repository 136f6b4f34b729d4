import { runLockstep, runWalkerStream, type Walker } from "../../lib/adelm/lockstep.ts";
import type { Energy } from "../../lib/adelm/energy.ts";
import { assertEquals, assertThrowsAsync } from "../assert.ts";

/** A walker that needs `length` evaluations and records the energies it saw. */
class CountingWalker implements Walker {
  state = new Float32Array(1);
  done = false;
  seen: number[] = [];
  constructor(readonly id: number, readonly length: number) {
    this.state[0] = id;
  }
  observe(energy: number): void {
    this.seen.push(energy);
    this.state[0] += 1000;
    if (this.seen.length >= this.length) this.done = true;
  }
}

/** A 1-D energy U(x) = x that records the batch size of every call. */
function recordingEnergy(): Energy & { batches: number[] } {
  const batches: number[] = [];
  return {
    dim: 1,
    batches,
    energyAndGrad(x, n) {
      batches.push(n);
      return Promise.resolve({ energy: Float32Array.from(x), grad: new Float32Array(n).fill(1) });
    },
  };
}

Deno.test("adelm lockstep: finished walkers are replaced at once, so batches stay full", async () => {
  const lengths = [4, 1, 1, 1, 1];
  const walkers = lengths.map((l, i) => new CountingWalker(i, l));
  const energy = recordingEnergy();
  let next = 0;
  await runWalkerStream(energy, () => (next < walkers.length ? walkers[next++] : null), { maxBatch: 2 });
  // walker 0 runs 4 steps while walkers 1–4 take turns in the second slot
  assertEquals(energy.batches, [2, 2, 2, 2]);
  assertEquals(walkers.map((w) => w.seen), [[0, 1000, 2000, 3000], [1], [2], [3], [4]]);
});

Deno.test("adelm lockstep: every walker's trajectory is the same for any batch size", async () => {
  const lengths = [3, 7, 1, 5, 2, 6];
  const seenBy = async (maxBatch: number) => {
    const walkers = lengths.map((l, i) => new CountingWalker(i, l));
    const energy = recordingEnergy();
    await runLockstep(energy, walkers, { maxBatch });
    for (const n of energy.batches) if (n > maxBatch) throw new Error(`batch of ${n} > ${maxBatch}`);
    return { seen: walkers.map((w) => w.seen), calls: energy.batches.length };
  };
  const one = await seenBy(1), three = await seenBy(3), all = await seenBy(100);
  assertEquals(three.seen, one.seen);
  assertEquals(all.seen, one.seen);
  assertEquals([one.calls, all.calls], [24, 7], "serial makes one call per step; all-at-once one per round");
});

Deno.test("adelm lockstep: bad batch sizes, wrong state lengths and stop checks are reported", async () => {
  const energy = recordingEnergy();
  await assertThrowsAsync(() => runWalkerStream(energy, () => null, { maxBatch: 0 }), "'max_batch' must be a positive whole number, got 0");
  const wide: Walker = { state: new Float32Array(2), done: false, observe() {} };
  await assertThrowsAsync(() => runLockstep(energy, [wide]), "a state has 2 elements, the energy expects 1");
  const stop = { throwIfAborted: () => { if (energy.batches.length >= 2) throw new Error("stopped by the test"); } };
  await assertThrowsAsync(() => runLockstep(energy, [new CountingWalker(0, 50)], { signal: stop }), "stopped by the test");
});
