import { assert, assertEquals } from "../assert.ts";
import { DiagnosisThresholds, imageSamplingVerdict, learningVerdict, toySamplingVerdict, zeroCrossings } from "../../lib/diagnosis/rules.ts";
import { meanNearestDistance, splitIndices } from "../../lib/diagnosis/image_evidence.ts";
import { Random } from "../../lib/util/random.ts";

const T = DiagnosisThresholds.parse({});
const N = 600;
const rng = new Random(19);
/** AR(1) with a negative coefficient: d_t oscillating around 0 like stable ML learning. */
function oscillating(n: number, scale = 1): number[] {
  const d: number[] = [];
  let x = 0;
  for (let i = 0; i < n; i++) d.push(x = -0.5 * x + scale * rng.normal());
  return d;
}
const steadyR = () => Array.from({ length: N }, () => 0.05 * (1 + 0.1 * rng.normal()));
const failed = (v: { evidence: { key: string; passed: boolean }[] }) => v.evidence.filter((e) => !e.passed).map((e) => e.key);

Deno.test("learning: an oscillating d_t with a steady r_t is stable", () => {
  const v = learningVerdict(oscillating(N), steadyR(), T);
  assertEquals(failed(v), []);
  assertEquals(v.label, "stable");
  // Scale does not matter: the same shape in the units of a non-convergent image run.
  assertEquals(learningVerdict(oscillating(N, 2e4), steadyR().map((r) => r * 300), T).label, "stable");
});

Deno.test("learning: a drifting d_t is unstable (no return to 0, mean shift)", () => {
  const d = Array.from({ length: N }, (_, i) => 0.02 * i + 0.2 * rng.normal());
  const v = learningVerdict(d, steadyR(), T);
  assertEquals(v.label, "unstable");
  assertEquals(failed(v), ["d_zero_crossings_per_100", "d_shift"]);
  // A random walk leaves 0 too.
  let x = 0;
  const walk = Array.from({ length: N }, () => (x += 1 + rng.normal()));
  assertEquals(learningVerdict(walk, steadyR(), T).label, "unstable");
});

Deno.test("learning: a collapsing r_t is unstable, an exploding one too", () => {
  const collapsing = Array.from({ length: N }, (_, i) => Math.exp(-i / 40));
  const v = learningVerdict(oscillating(N), collapsing, T);
  assertEquals(v.label, "unstable");
  assertEquals(failed(v), ["r_ratio"]);
  assert(v.evidence.find((e) => !e.passed)!.why.includes("flat"), "names the flat energy");
  const exploding = Array.from({ length: N }, (_, i) => Math.exp(i / 40));
  const w = learningVerdict(oscillating(N), exploding, T);
  assertEquals(failed(w), ["r_ratio"]);
  assert(w.evidence.find((e) => !e.passed)!.test.includes("growth"), "the growth test fails");
});

Deno.test("learning: a diverging swing and a NaN are unstable", () => {
  const growing = oscillating(N).map((x, i) => x * Math.exp(i / 60));
  assertEquals(failed(learningVerdict(growing, steadyR(), T)), ["d_growth"]);
  const d = oscillating(N);
  d[450] = NaN;
  const v = learningVerdict(d, steadyR(), T);
  assertEquals(v.label, "unstable");
  assertEquals(v.evidence[0].value, 451);
});

Deno.test("learning: only the window counts — an early transient does not make a run unstable", () => {
  const d = oscillating(N).map((x, i) => (i < 200 ? 50 + x : x));
  const v = learningVerdict(d, steadyR(), T);
  assertEquals(v.label, "stable");
  assert(v.evidence[1].why.includes("iterations 301–600"), v.evidence[1].why);
  const whole = learningVerdict(d, steadyR(), DiagnosisThresholds.parse({ window_fraction: 1 }));
  assert(whole.evidence[2].value! > v.evidence[2].value! * 5, `the transient shows in the whole-run drift: ${whole.evidence[2].value} vs ${v.evidence[2].value}`);
});

Deno.test("zeroCrossings counts sign changes, skipping zeros", () => {
  assertEquals(zeroCrossings([1, -1, 0, -2, 3, 0, 0, 4, -1]), 3);
});

Deno.test("toy sampling: the EBM density against the truth and against its own short-run samples", () => {
  assertEquals(toySamplingVerdict(0.2, 0.3, T).label, "convergent");
  const nc = toySamplingVerdict(28, 0.19, T);
  assertEquals(nc.label, "non-convergent");
  assertEquals(failed(nc), ["kl_true_ebm", "kl_ratio"]);
  // Close to the truth in absolute terms but far worse than the short-run samples: still non-convergent.
  assertEquals(failed(toySamplingVerdict(0.9, 0.05, T)), ["kl_ratio"]);
});

Deno.test("image sampling: energy drift, saturation and nearest-image distance each decide", () => {
  const ok = { dataEnergyMean: 1, dataEnergySd: 0.5, longrunEnergyMean: 0.5, longrunSaturated: 0.3, dataSaturated: 0.25, longrunNearest: 9, dataNearest: 7 };
  assertEquals(imageSamplingVerdict(ok, T).label, "convergent");
  assertEquals(failed(imageSamplingVerdict({ ...ok, longrunEnergyMean: -10 }, T)), ["energy_drift"]);
  assertEquals(failed(imageSamplingVerdict({ ...ok, longrunSaturated: 0.6 }, T)), ["saturation_excess"]);
  assertEquals(failed(imageSamplingVerdict({ ...ok, longrunNearest: 20 }, T)), ["nearest_ratio"]);
});

Deno.test("image evidence: nearest distances and disjoint evenly spaced reference/held-out sets", () => {
  const ref = new Float32Array([0, 0, 3, 4]);
  const q = new Float32Array([0, 1, 3, 4, 6, 8]);
  assert(Math.abs(meanNearestDistance(q, ref, 2) - (1 + 0 + 5) / 3) < 1e-12, "mean nearest distance");
  const { reference, heldOut } = splitIndices(10, 1000);
  assertEquals(reference, [0, 2, 4, 6, 8]);
  assertEquals(heldOut, [1, 3, 5, 7, 9]);
  const big = splitIndices(60000, 1000);
  assertEquals(big.reference.length, 1000);
  assert(new Set([...big.reference, ...big.heldOut]).size === 2000, "disjoint");
});
