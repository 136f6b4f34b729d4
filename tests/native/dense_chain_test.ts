/**
 * The fused dense Langevin chain (`EbmDenseLangevinChain`, the project's C kernel on native)
 * against its reference composition, the per-step sampler (energyAndGrad + EbmLangevinUpdate):
 * - per step (each step started from the reference's state with the reference's noise): next
 *   state and both statistics within 1e-5 relative, for ToyNet and odd widths;
 * - whole seeded chains stay on the reference's path, and `shortRunLangevin` draws the same
 *   noise stream (same records, r_t) on both paths;
 * - statistically the same chain: with independent seeds, final-state marginals pass a two-sample
 *   Kolmogorov–Smirnov test and r_t agrees within its sampling error (and a chain with a changed
 *   step size is caught by the same test);
 * - reproducible: bit-identical reruns, and results independent of the thread count;
 * - `EBM_FUSED_DENSE=0` runs the per-step path, `=1` insists; bad inputs and a missing compiler
 *   fail with clear errors; the build cache is keyed by the source.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers tfjs's gradient functions
import { assert, assertClose, assertEquals } from "../assert.ts";
import { ensureNative, normals, useBackend as use } from "./parity.ts";
import { energyAndGrad, type EnergyModel, shortRunLangevin } from "../../lib/ebm/langevin.ts";
import { langevinUpdate } from "../../lib/ebm/langevin_update.ts";
import { denseLangevinChain, fusedChainStack } from "../../lib/ebm/langevin_chain.ts";
import { FUSED_DENSE_ENV } from "../../lib/ebm/fused_dense.ts";
import { createNet, type DenseStack } from "../../lib/nets/net.ts";
import { dense, denseLeakyRelu } from "../../lib/nets/ops.ts";
import { nativeProfile } from "../../lib/tensor/native/install.ts";
import { buildCLibrary, BUILD_DIR_ENV, DENSE_NET_SOURCE } from "../../lib/tensor/native/c_build.ts";
import { DENSE_LANGEVIN_CHAIN } from "../../lib/tensor/kernels/kernel_names.ts";
import { Random } from "../../lib/util/random.ts";
import { withEnv } from "../env.ts";

await ensureNative();

/** A model over a dense stack that the sampler cannot fuse (no `denseStack`): the reference path. */
function composedModel(stack: DenseStack): EnergyModel {
  return {
    energy(x: tf.Tensor) {
      return tf.tidy(() => {
        let h = x as tf.Tensor2D;
        const k = stack.weights.length;
        for (let l = 0; l < k; l++) h = l < k - 1 ? denseLeakyRelu(h, stack.weights[l], stack.biases[l], stack.slope) : dense(h, stack.weights[l], stack.biases[l]);
        return tf.reshape(h, [-1]) as tf.Tensor1D;
      });
    },
  };
}

/** A random dense stack of the given widths (weights scaled like PyTorch's default init, times `gain`). */
function randomStack(widths: number[], seed: number, gain = 1): DenseStack {
  const weights: tf.Tensor2D[] = [], biases: tf.Tensor1D[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const scale = gain / Math.sqrt(widths[l]);
    weights.push(tf.tensor2d(normals(widths[l] * widths[l + 1], seed + 2 * l).map((v) => v * scale), [widths[l], widths[l + 1]]));
    biases.push(tf.tensor1d(normals(widths[l + 1], seed + 2 * l + 1).map((v) => v * 0.1)));
  }
  return { weights, biases, slope: 0.05 };
}

function disposeStack(s: DenseStack): void {
  tf.dispose([...s.weights, ...s.biases]);
}

/** One reference step from `x` with `noise`: next state and [mean energy, mean ‖∇f‖]. */
function referenceStep(model: EnergyModel, x: tf.Tensor, noise: tf.Tensor, epsilon: number): { next: Float32Array; stats: Float32Array } {
  return tf.tidy(() => {
    const { energy, grad } = energyAndGrad(model, x);
    const { next, stats } = langevinUpdate(x, grad, noise, energy, epsilon);
    return { next: Float32Array.from(next.dataSync()), stats: Float32Array.from(stats.dataSync()) };
  });
}

const CASES = [
  { name: "ToyNet widths 2-32-64-64-64-1, batch 100", widths: [2, 32, 64, 64, 64, 1], n: 100, epsilon: 0.01, gain: 1 },
  { name: "odd widths 3-5-37-70-1, batch 13 (partial tiles and blocks)", widths: [3, 5, 37, 70, 1], n: 13, epsilon: 0.05, gain: 1.5 },
  { name: "one linear layer 4-1, batch 40", widths: [4, 1], n: 40, epsilon: 0.1, gain: 1 },
  { name: "wide 2-96-96-1 with large gradients, batch 70", widths: [2, 96, 96, 1], n: 70, epsilon: 0.02, gain: 3 },
];

for (const c of CASES) {
  Deno.test(`${DENSE_LANGEVIN_CHAIN} equals the per-step reference within 1e-5 relative at every step: ${c.name}`, () => {
    use("native");
    const stack = randomStack(c.widths, 11, c.gain);
    const model = composedModel(stack);
    const d = c.widths[0], steps = 30;
    const rng = new Random(5);
    let x = tf.tensor2d(rng.normalArray(c.n * d), [c.n, d]);
    const before = tf.memory().numTensors;
    for (let s = 0; s < steps; s++) {
      const z = rng.normalArray(c.n * d);
      const noise = tf.tensor(z, [c.n, d]);
      const ref = referenceStep(model, x, noise, c.epsilon);
      const noise3 = tf.tensor(z, [1, c.n, d]);
      const fused = denseLangevinChain(stack, x, noise3, c.epsilon);
      const next = fused.next.dataSync() as Float32Array, stats = fused.stats.dataSync() as Float32Array;
      assertEquals(fused.stats.shape, [1, 2]);
      // Relative to the state's scale (x − ∇f + εz is O(1) here): per element.
      assertClose(next, ref.next, 1e-5, `step ${s + 1} next state`);
      assertClose(stats[0], ref.stats[0], 1e-5, `step ${s + 1} mean energy`);
      assertClose(stats[1], ref.stats[1], 1e-5, `step ${s + 1} mean gradient norm`);
      tf.dispose([noise, noise3, fused.next, fused.stats, x]);
      x = tf.tensor2d(ref.next, [c.n, d]);
    }
    x.dispose();
    assertEquals(tf.memory().numTensors, before - 1, "tensors leaked");
    disposeStack(stack);
  });
}

Deno.test("shortRunLangevin on ToyNet: the fused chain draws the same noise stream and keeps to the per-step chain (100 steps)", () => {
  use("native");
  const net = createNet("toy", { n_f: 32 }, 3);
  const stack = net.denseStack();
  assert(stack !== null && fusedChainStack(net) !== null, "ToyNet on native must take the fused path");
  const x0 = tf.tensor2d(new Random(9).normalArray(200), [100, 2]);
  // The first fused run in a process also probes the kernel with a zero-step call.
  shortRunLangevin(net, x0, { steps: 1, epsilon: 0.01, rng: new Random(1) }).x.dispose();
  nativeProfile.reset();
  nativeProfile.enable();
  const fused = shortRunLangevin(net, x0, { steps: 100, epsilon: 0.01, rng: new Random(4), recordEvery: 10 });
  const calls = nativeProfile.snapshot().find((t) => t.kernel === DENSE_LANGEVIN_CHAIN)?.calls ?? 0;
  nativeProfile.disable();
  assertEquals(calls, 1, "one kernel call for the whole chain");
  const ref = withEnv(FUSED_DENSE_ENV, "0", () => shortRunLangevin(net, x0, { steps: 100, epsilon: 0.01, rng: new Random(4), recordEvery: 10 }));
  assertEquals(fused.records.map((r) => r.step), ref.records.map((r) => r.step));
  // Float32 rounding differences do not grow along this chain: the paths stay within 1e-4.
  assertClose(fused.x.dataSync(), ref.x.dataSync(), 1e-4, "final states");
  assertClose(fused.records.map((r) => r.energy), ref.records.map((r) => r.energy), 1e-4, "recorded energies");
  assertClose(fused.records.map((r) => r.gradNorm), ref.records.map((r) => r.gradNorm), 1e-4, "recorded gradient norms");
  assertClose(fused.rT, ref.rT, 1e-4, "r_t");
  tf.dispose([x0, fused.x, ref.x]);
  net.dispose();
});

/** Two-sample Kolmogorov–Smirnov statistic. */
function ksStatistic(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q), y = [...b].sort((p, q) => p - q);
  let i = 0, j = 0, d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Final states (by coordinate) and per-chain-group r_t of `groups` seeded runs of 500 chains. */
function sampleChains(net: ReturnType<typeof createNet>, seed: number, epsilon: number, fusedOn: boolean): { coords: number[][]; rTs: number[] } {
  const coords: number[][] = [[], []], rTs: number[] = [];
  for (let g = 0; g < 8; g++) {
    const rng = new Random(seed * 1000 + g);
    const x0 = tf.tensor2d(rng.uniformArray(1000, -1, 1), [500, 2]);
    const run = withEnv(FUSED_DENSE_ENV, fusedOn ? "1" : "0", () => shortRunLangevin(net, x0, { steps: 60, epsilon, rng }));
    const v = run.x.dataSync();
    for (let i = 0; i < v.length; i++) coords[i % 2].push(v[i]);
    rTs.push(run.rT);
    tf.dispose([x0, run.x]);
  }
  return { coords, rTs };
}

Deno.test("the fused chain is statistically the per-step chain (independent seeds: KS on final states, r_t), and the test catches a changed ε", () => {
  use("native");
  const net = createNet("toy", { n_f: 32 }, 21);
  const eps = 0.05;
  const fused = sampleChains(net, 1, eps, true), ref = sampleChains(net, 2, eps, false), off = sampleChains(net, 3, eps * 1.5, true);
  const n = fused.coords[0].length;
  // KS critical value at α = 0.001 for two samples of n: 1.95·sqrt(2/n).
  const critical = 1.95 * Math.sqrt(2 / n);
  const meanSd = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return { m, sd: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) };
  };
  for (const dim of [0, 1]) {
    const ks = ksStatistic(fused.coords[dim], ref.coords[dim]);
    assert(ks < critical, `coordinate ${dim}: KS ${ks.toFixed(4)} ≥ ${critical.toFixed(4)} (fused vs per-step)`);
  }
  const f = meanSd(fused.rTs), r = meanSd(ref.rTs);
  const se = Math.sqrt((f.sd ** 2 + r.sd ** 2) / fused.rTs.length);
  assert(Math.abs(f.m - r.m) < 4 * se + 1e-6, `r_t: fused ${f.m} vs per-step ${r.m} (se ${se})`);
  // The same test must reject a chain with 1.5× the step size.
  const rejected = [0, 1].some((dim) => ksStatistic(off.coords[dim], ref.coords[dim]) >= critical) || Math.abs(meanSd(off.rTs).m - r.m) >= 4 * se;
  assert(rejected, "a chain with ε × 1.5 passed as the same chain: the test cannot fail");
  net.dispose();
});

for (const [rows, steps] of [[2048, 5], [100, 100]]) Deno.test(`the fused chain is reproducible and independent of the thread count (${rows} chains, ${steps} steps: 1 vs 2 threads)`, () => {
  use("native");
  const stack = randomStack([2, 32, 64, 64, 64, 1], 3);
  const x = tf.tensor2d(normals(2 * rows, 1), [rows, 2]);
  const noise = tf.tensor3d(normals(steps * 2 * rows, 2), [steps, rows, 2]);
  const run = (threads: string) =>
    withEnv("EBM_NATIVE_THREADS", threads, () => {
      const out = denseLangevinChain(stack, x, noise, 0.01);
      const v = { next: Float32Array.from(out.next.dataSync()), stats: Float32Array.from(out.stats.dataSync()) };
      tf.dispose([out.next, out.stats]);
      return v;
    });
  const one = run("1"), two = run("2"), again = run("2");
  assertEquals(Array.from(two.next), Array.from(one.next), "next: 2 threads vs 1");
  assertEquals(Array.from(two.stats), Array.from(one.stats), "stats: 2 threads vs 1");
  assertEquals(Array.from(again.next), Array.from(two.next), "rerun");
  tf.dispose([x, noise]);
  disposeStack(stack);
});

Deno.test(`${FUSED_DENSE_ENV}=0 runs the per-step sampler; =1 insists and fails clearly where no kernel exists`, () => {
  use("native");
  const net = createNet("toy", { n_f: 8 }, 1);
  const x0 = tf.tensor2d(normals(20, 3), [10, 2]);
  nativeProfile.reset();
  nativeProfile.enable();
  const run = withEnv(FUSED_DENSE_ENV, "0", () => shortRunLangevin(net, x0, { steps: 3, epsilon: 0.01, rng: new Random(1) }));
  const timings = nativeProfile.snapshot();
  nativeProfile.disable();
  assert(!timings.some((t) => t.kernel === DENSE_LANGEVIN_CHAIN), "the chain kernel ran although turned off");
  assert(timings.some((t) => t.kernel === "EbmLangevinUpdate" && t.calls === 3), "the per-step path did not run");
  run.x.dispose();
  use("cpu");
  const cpuX = tf.tensor2d(normals(20, 3), [10, 2]);
  let message = "";
  try {
    withEnv(FUSED_DENSE_ENV, "1", () => shortRunLangevin(net, cpuX, { steps: 3, epsilon: 0.01, rng: new Random(1) }));
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes(`${FUSED_DENSE_ENV}=1`) && message.includes("has no EbmDenseLangevinChain kernel"), `got: ${message}`);
  cpuX.dispose();
  use("native");
  x0.dispose();
  net.dispose();
});

Deno.test(`${DENSE_LANGEVIN_CHAIN} rejects mismatched noise and widths, naming the input`, () => {
  use("native");
  const stack = randomStack([2, 8, 1], 1);
  const x = tf.tensor2d(normals(10, 1), [5, 2]);
  const expectError = (fn: () => unknown, fragment: string) => {
    let message = "";
    try {
      fn();
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes(DENSE_LANGEVIN_CHAIN) && message.includes(fragment), `expected '${fragment}', got: ${message}`);
  };
  const badNoise = tf.zeros([2, 4, 2]);
  expectError(() => denseLangevinChain(stack, x, badNoise, 0.01), "noise [2, 5, 2]");
  const noise = tf.zeros([1, 5, 2]);
  const wrong: DenseStack = { ...stack, weights: [stack.weights[0], tf.zeros([8, 2]) as tf.Tensor2D], biases: [stack.biases[0], tf.zeros([2]) as tf.Tensor1D] };
  expectError(() => denseLangevinChain(wrong, x, noise, 0.01), "one output");
  tf.dispose([x, badNoise, noise, wrong.weights[1], wrong.biases[1]]);
  disposeStack(stack);
});

Deno.test("the C build: cached by source hash, and a missing compiler names gcc and the apt command", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const copy = new URL(`file://${dir}/chain_copy.c`);
    Deno.copyFileSync(DENSE_NET_SOURCE, copy);
    const first = withEnv(BUILD_DIR_ENV, `${dir}/cache`, () => buildCLibrary(copy));
    assert(first.startsWith(`${dir}/cache/`), `built outside the cache dir: ${first}`);
    const edited = new URL(`file://${dir}/chain_edit.c`);
    Deno.writeTextFileSync(edited, Deno.readTextFileSync(DENSE_NET_SOURCE) + "\n/* edited */\n");
    const second = withEnv(BUILD_DIR_ENV, `${dir}/cache`, () => buildCLibrary(edited));
    assert(second.split("/").at(-2) !== first.split("/").at(-2), "an edited source reused the old build");
    const missing = new URL(`file://${dir}/chain_nogcc.c`);
    Deno.copyFileSync(DENSE_NET_SOURCE, missing);
    let message = "";
    try {
      withEnv("PATH", `${dir}/empty`, () => withEnv(BUILD_DIR_ENV, `${dir}/cache2`, () => buildCLibrary(missing)));
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes("'gcc' was not found") && message.includes("apt-get install gcc"), `got: ${message}`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the C source is part of every tensor step's fingerprint (the backend's source closure)", async () => {
  const { ModuleGraph } = await import("../../lib/runner/module_graph.ts");
  const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
  const graph = await ModuleGraph.create(root, `${root}/deno.json`);
  const closure = await graph.closure(`${root}/lib/tensor/backend.ts`);
  assert("lib/tensor/native/c/dense_net.c" in closure.sources, `not in the closure: ${Object.keys(closure.sources).filter((k) => k.includes("native")).join(", ")}`);
});

Deno.test("without a C compiler the dense kernels fall back to the per-op path, saying so once (child process)", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const script = new URL("./no_compiler_script.ts", import.meta.url).pathname;
    const env = { PATH: `${dir}/empty`, EBM_NATIVE_BUILD_DIR: `${dir}/cache`, EBM_NATIVE_THREADS: "1", HOME: Deno.env.get("HOME") ?? dir };
    const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", script], env, clearEnv: false, stdout: "piped", stderr: "piped" }).output();
    const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, `child failed: ${stderr}`);
    assertEquals(JSON.parse(stdout.trim().split("\n").pop()!), { same: true, gradsFellBack: true });
    assert(stderr.includes("'gcc' was not found") && stderr.includes("apt-get install gcc") && stderr.includes("running the per-op path"), `stderr: ${stderr}`);
    assertEquals(stderr.split("running the per-op path").length - 1, 2, "one note per kernel");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
