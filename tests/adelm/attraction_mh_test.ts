/**
 * `ad.sampler: mh`: Langevin proposals with a Metropolis–Hastings test sample the AD target
 * exp(−U/T − α‖x − x*‖) exactly at a step size where unadjusted Langevin is visibly biased;
 * proposals are reflected at the clamp box, never clipped, and still sample the truncated target
 * exactly; results are seeded.
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

/**
 * Runs one walker to the end and returns the first coordinate of its position at every step. An
 * MH walker may take several steps in one `observe` (proposals rejected without evaluating U), all
 * from the same position, so each position is repeated for the steps it was held.
 */
async function trace(energy: Energy, walker: AttractionWalker): Promise<number[]> {
  const path: number[] = [];
  let started = false;
  const recorder: Walker = {
    get state() {
      return walker.state;
    },
    get done() {
      return walker.done;
    },
    observe(u, g) {
      const before = walker.result().steps;
      walker.observe(u, g);
      for (let k = Math.max(1, walker.result().steps - before); k > 0; k--) path.push(walker.position[0]);
    },
  };
  await runWalkerStream(energy, () => (started || walker.done ? null : (started = true, recorder)), { maxBatch: 1 });
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

/** U(x) = −g·x₀: a constant force g towards +∞ on the first coordinate. */
function slope(g: number): Energy {
  return {
    dim: 1,
    energyAndGrad(x, n) {
      return Promise.resolve({ energy: Float32Array.from(x.subarray(0, n), (v) => -g * v), grad: new Float32Array(n).fill(-g) });
    },
  };
}

Deno.test("MH AD reflects proposals at the clamp box and samples the truncated target exactly", async () => {
  // U = −5x, T = 1 on [0, 1]: density ∝ e^{5x}, mean 1/(1 − e^{−5}) − 1/5 = 0.806784. ε = 0.5 drifts
  // 0.625 per step into the upper wall, so most proposals are reflected there: the test needs the
  // mirror images in the proposal density (without them the mean comes out ≈ 0.75).
  const params: AttractionParams = { ...free("mh", 0.5, 150_000), clamp: [0, 1] };
  const walker = new AttractionWalker(new Float32Array([0.5]), new Float32Array([1e6]), params, new Random(3));
  const path = await trace(slope(5), walker);
  assert(path.every((v) => v >= 0 && v <= 1), "a position left the box");
  // Clipping would pile mass on the faces; reflection leaves no atoms there.
  assertEquals(path.filter((v) => v === 0 || v === 1).length, 0, "positions exactly on the box faces (clipping)");
  const tail = path.slice(1000), mean = tail.reduce((a, b) => a + b, 0) / tail.length;
  assert(Math.abs(mean - 0.806784) < 0.006, `MH mean in the box ${mean}, expected ≈ 0.8068`);
  console.log(`reflected MH on [0, 1]: mean ${mean.toFixed(4)} (exact 0.8068), acceptance ${walker.result().acceptRate!.toFixed(3)}`);
  const rate = walker.result().acceptRate!;
  assert(rate > 0.3, `acceptance rate ${rate}`);
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
