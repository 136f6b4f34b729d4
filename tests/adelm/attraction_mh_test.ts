/**
 * `ad.sampler: mh`: Langevin proposals with a Metropolis–Hastings test sample the AD target
 * exp(−U/T − α‖x − x*‖) exactly at a step size where unadjusted Langevin is visibly biased; a
 * proposal outside the clamp box is rejected, never clipped; results are seeded.
 */
import { assert, assertEquals } from "../assert.ts";
import { type AttractionParams, AttractionWalker } from "../../lib/adelm/attraction.ts";
import type { Energy } from "../../lib/adelm/energy.ts";
import { runWalkerStream, type Walker } from "../../lib/adelm/lockstep.ts";
import { Random } from "../../lib/util/random.ts";

/** U(x) = ‖x‖²/2 on R^dim. */
function bowl(dim: number): Energy {
  return {
    dim,
    energyAndGrad(x, n) {
      const energy = new Float32Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) energy[i] += 0.5 * x[i * dim + j] ** 2;
      return Promise.resolve({ energy, grad: Float32Array.from(x) });
    },
  };
}

/** Runs one walker to the end and returns the first coordinate of its position after every step. */
async function trace(energy: Energy, walker: AttractionWalker): Promise<number[]> {
  const path: number[] = [];
  const recorder: Walker = {
    get state() {
      return walker.state;
    },
    get done() {
      return walker.done;
    },
    observe(u, g) {
      walker.observe(u, g);
      path.push(walker.position[0]);
    },
  };
  await runWalkerStream(energy, () => (path.length === 0 && !walker.done ? recorder : null), { maxBatch: 1 });
  return path;
}

// No magnet (α = 0, a target far away and δ = 0 so the trial never ends early): the chain samples exp(−U/T).
const free = (sampler: "langevin" | "mh", stepSize: number, maxSteps: number): AttractionParams => ({
  temperature: 1, stepSize, alpha: 0, delta: 0, patience: 1e9, maxSteps, clamp: null, sampler,
});

function variance(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
}

Deno.test("MH AD samples exp(−U/T) exactly where unadjusted Langevin is biased", async () => {
  // ε = 1.2 on U = x²/2: ULA's stationary variance is ε²/(1 − (1 − ε²/2)²) = 1.5625, the target's 1.
  const steps = 120_000, target = new Float32Array([1e6]);
  const ula = await trace(bowl(1), new AttractionWalker(new Float32Array([0]), target, free("langevin", 1.2, steps), new Random(5)));
  const mhWalker = new AttractionWalker(new Float32Array([0]), target, free("mh", 1.2, steps), new Random(5));
  const mh = await trace(bowl(1), mhWalker);
  const vUla = variance(ula.slice(1000)), vMh = variance(mh.slice(1000));
  assert(Math.abs(vUla - 1.5625) < 0.08, `ULA variance ${vUla}, expected ≈ 1.5625 (the test's check that the bias is visible)`);
  assert(Math.abs(vMh - 1) < 0.06, `MH variance ${vMh}, expected ≈ 1`);
  const rate = mhWalker.result().acceptRate!;
  assert(rate > 0.3 && rate < 0.95, `acceptance rate ${rate}`);
  assertEquals(new AttractionWalker(new Float32Array([0]), target, free("langevin", 1.2, 10), new Random(5)).result().acceptRate, null);
});

Deno.test("MH AD with the magnet samples exp(−U/T − α|x − x*|) (exact mean of the tilted target)", async () => {
  // U = x²/2, T = 1, pull towards x* = 1e6 with α = 0.5: H = x²/2 − 0.5x + const near 0, a normal with mean 0.5.
  const params: AttractionParams = { temperature: 1, stepSize: 1.2, alpha: 0.5, delta: 0, patience: 1e9, maxSteps: 120_000, clamp: null, sampler: "mh" };
  const path = await trace(bowl(1), new AttractionWalker(new Float32Array([0]), new Float32Array([1e6]), params, new Random(9)));
  const tail = path.slice(1000), mean = tail.reduce((a, b) => a + b, 0) / tail.length;
  assert(Math.abs(mean - 0.5) < 0.04, `MH mean ${mean}, expected ≈ 0.5`);
  assert(Math.abs(variance(tail) - 1) < 0.06, `MH variance ${variance(tail)}, expected ≈ 1`);
});

Deno.test("MH AD rejects proposals outside the clamp box instead of clipping them", async () => {
  const params: AttractionParams = { ...free("mh", 1.0, 5000), clamp: [-0.5, 0.5] };
  const walker = new AttractionWalker(new Float32Array([0, 0]), new Float32Array([1e6, 0]), params, new Random(3));
  const path = await trace(bowl(2), walker);
  assert(path.every((v) => v >= -0.5 && v <= 0.5), "a position left the box");
  // Clipping would pile mass on the faces; rejection leaves a truncated normal with no atoms there.
  const onFace = path.filter((v) => Math.abs(v) === 0.5).length;
  assertEquals(onFace, 0, "positions exactly on the box faces (clipping)");
  assert(walker.result().acceptRate! < 0.6, `acceptance rate ${walker.result().acceptRate} is too high for a box of half-width 0.5 at ε = 1`);
});

Deno.test("MH AD trials are seeded and reach a nearby target", async () => {
  const params: AttractionParams = { temperature: 0.02, stepSize: 0.06, alpha: 200, delta: 0.35, patience: 40, maxSteps: 5000, clamp: null, sampler: "mh" };
  // Pull α·T = 4 beats the bowl's slope (at most 2 on the way), so the trial must arrive.
  const run = async () => {
    const w = new AttractionWalker(new Float32Array([0, 0]), new Float32Array([2, 0]), params, new Random(11));
    await runWalkerStream(bowl(2), (() => {
      let given = false;
      return () => (given ? null : (given = true, w));
    })(), { maxBatch: 1 });
    return w.result();
  };
  const a = await run(), b = await run();
  assertEquals(a, b);
  assert(a.success, `the trial did not reach the target: ${JSON.stringify(a)}`);
  // The path ends within δ of x* = (2, 0), where U ≥ 1.65²/2: the barrier is at least about that.
  assert(a.barrier >= 0.5 * 1.6 ** 2, `barrier ${a.barrier} below the energy near the target`);
});
