/**
 * Two diagnostics behind `vera-toy`'s figures (issue 18: on 2spirals and rings neither VERA's EBM
 * nor its generator looks like the data at the cpu budget) — is it the sampler, or the EBM?
 *
 * - `--mode generator`: the VERA generator ALONE, trained through {@link VeraTrainer.iterate}
 *   (the library's sampling, posterior score with K importance samples, σ_post's ELBO step,
 *   surrogate, Adam betas, σ clamp) against a FIXED log-density f — the EBM is a frozen function
 *   whose one parameter does not enter f. The generator step minimises −(E_q f + H(q)), whose
 *   optimum is q = p. `--target 8gaussians` uses the exact mixture; `--target rings` four ring
 *   kernels (equal weights, radial sd 0.08 at radii 0.75, 1.5, 2.25, 3 — `rings`' definition).
 *   Prints σ, mean σ_post, the score norm, E_q f and how the samples spread over the modes / rings
 *   (2,000 samples in batches of the training batch size, training-mode BatchNorm, as
 *   `vera-toy` draws them). Probe knobs: `--out-scale X` (the generator's last weights × X at
 *   init: it starts X times wider), `--max-sigma`, `--noise-dim`, `--ent-weight`, `--k` (the
 *   posterior's importance samples). `bench/vera_generator_torch.py` is the same experiment written
 *   independently in PyTorch from the seed's semantics, to compare against.
 * - `--mode ceiling`: the toy EBM (MLP 2→100→100→1, LeakyReLU 0.2, batch 200) trained by exact
 *   maximum likelihood — the normaliser summed on the 100×100 grid over [−4, 4]², no sampler —
 *   with VERA's EBM optimiser (Adam, `--lr`, betas (`--beta1`, `--beta2` 0.9), batch `--batch`
 *   200): the best any sampler could give this EBM after `--iters` updates; `--first-scale` /
 *   `--first-bias-scale` multiply the first layer's initial weights / biases. Prints
 *   KL(true‖EBM) on the grid as `vera-toy` computes it ("true" a KDE of 10,000 evenly strided
 *   data points, bandwidth factor 0.1) and writes a PNG (true density | EBM density, brightness
 *   ∝ √density) to `--png`.
 *
 * Data: `sampleToy2d(dataset, 100000, new Random(--seed))` (the pipeline's `toy-2d` with its own seed).
 *
 * Run: `EBM_NATIVE_THREADS=1 deno run -A bench/vera_toy_diagnostics.ts --mode generator --target rings --iters 3000`
 * or `… --mode ceiling --dataset 2spirals --iters 3000 [--lr 0.001] [--beta1 0] [--png /tmp/ceiling.png]`.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { initBackend } from "../lib/tensor/backend.ts";
import { checkToy2dName, EIGHT_GAUSSIANS_MEANS, EIGHT_GAUSSIANS_VAR, sampleToy2d, TOY_2D_EXTENT } from "../lib/data/toy_2d.ts";
import { gridAxis, gridKL, gridPoints, normaliseLogGrid } from "../lib/data/toy.ts";
import { Random } from "../lib/util/random.ts";
import { createNet, type NamedParam } from "../lib/nets/net.ts";
import { toyGeneratorArch } from "../lib/nets/generator.ts";
import { createOptimizer } from "../lib/ebm/optim.ts";
import { gatherRows } from "../lib/train/chains.ts";
import { streamFor } from "../lib/train/streams.ts";
import { kdeOnGrid } from "../lib/train/kde.ts";
import { createPool } from "../lib/pool/pool.ts";
import { VeraKnobs } from "../lib/vera/config.ts";
import { VeraGenerator } from "../lib/vera/generator.ts";
import { VeraTrainer, type VeraModel } from "../lib/vera/trainer.ts";
import { logDensityOf } from "../lib/vera/toy.ts";
import { benchFlags, flag, numberFlag, positiveIntFlag, runMain } from "./cli_args.ts";

const USAGE = "Usage: deno run -A bench/vera_toy_diagnostics.ts --mode generator|ceiling [--target 8gaussians|rings] [--dataset NAME] [--iters N] [--every N] [--glr X] [--out-scale X] [--max-sigma X] [--noise-dim N] [--ent-weight X] [--k N] [--lr X] [--beta1 X] [--beta2 X] [--batch N] [--first-scale X] [--first-bias-scale X] [--seed N] [--png PATH]";
const RING_RADII = [0.75, 1.5, 2.25, 3], RING_SD = 0.08;

/** Multiplies a parameter's initial values by `factor` (a probe of the init's scale). */
function scaleParam(p: NamedParam, factor: number): void {
  if (!(factor > 0)) throw new Error(`Cannot scale '${p.key}': expected a positive factor, got ${factor}`);
  if (factor !== 1) tf.tidy(() => p.variable.assign(tf.mul(p.variable, factor)));
}

/** The fixed log-density of `--mode generator`, per row. */
function targetLogDensity(target: string, x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    if (target === "8gaussians") {
      const c = tf.tensor2d(EIGHT_GAUSSIANS_MEANS.flat(), [8, 2]);
      const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(x, 1), tf.expandDims(c, 0))), 2);
      return tf.sub(tf.logSumExp(tf.mul(d2, -0.5 / EIGHT_GAUSSIANS_VAR), 1), Math.log(8 * 2 * Math.PI * EIGHT_GAUSSIANS_VAR)) as tf.Tensor1D;
    }
    // (1/4) Σ_k N(|x|; r_k, sd²) / (2π r_k)
    const r = tf.sqrt(tf.add(tf.sum(tf.square(x), 1), 1e-12));
    const rk = tf.tensor1d(RING_RADII);
    const z = tf.div(tf.sub(tf.expandDims(r, 1), tf.expandDims(rk, 0)), RING_SD);
    const logNorm = tf.log(tf.mul(rk, 2 * Math.PI * 4 * RING_SD * Math.sqrt(2 * Math.PI)));
    return tf.logSumExp(tf.sub(tf.mul(tf.square(z), -0.5), tf.expandDims(logNorm, 0)), 1) as tf.Tensor1D;
  });
}

/** How samples spread: per mode (nearest centre) or per ring (nearest radius), and the share within 3 sd. */
function coverage(target: string, p: Float32Array): string {
  const n = p.length / 2, centres = target === "8gaussians" ? EIGHT_GAUSSIANS_MEANS.length : RING_RADII.length;
  const counts = new Array(centres).fill(0);
  let near = 0;
  for (let i = 0; i < n; i++) {
    const x = p[2 * i], y = p[2 * i + 1];
    const dist = (k: number) => target === "8gaussians" ? Math.hypot(x - EIGHT_GAUSSIANS_MEANS[k][0], y - EIGHT_GAUSSIANS_MEANS[k][1]) : Math.abs(Math.hypot(x, y) - RING_RADII[k]);
    let best = 0;
    for (let k = 1; k < centres; k++) if (dist(k) < dist(best)) best = k;
    counts[best]++;
    if (dist(best) < 3 * (target === "8gaussians" ? Math.sqrt(EIGHT_GAUSSIANS_VAR) : RING_SD)) near++;
  }
  return `per ${target === "8gaussians" ? "mode" : "ring"} ${counts.join("/")}, within 3 sd ${(near / n).toFixed(3)}`;
}

async function generatorOnly(): Promise<void> {
  const target = flag("target", "8gaussians");
  if (target !== "8gaussians" && target !== "rings") throw new Error(`Cannot use --target '${target}': expected 8gaussians or rings`);
  const iters = positiveIntFlag("iters", 3000), every = positiveIntFlag("every", 500), seed = positiveIntFlag("seed", 1234);
  // The cpu profile's generator recipe (glr 3e-3, otherwise the seed's knobs); no EBM step after the first (its gradient is 0).
  const knobs = VeraKnobs.parse({
    glr: numberFlag("glr", 3e-3),
    e_iters: 1e9,
    decay_epochs: [1e9],
    max_sigma: numberFlag("max-sigma", 0.3),
    noise_dim: positiveIntFlag("noise-dim", 2),
    ent_weight: numberFlag("ent-weight", 1),
    num_samples_posterior: positiveIntFlag("k", 20),
  });
  const frozen = tf.variable(tf.zeros([1]), true);
  const model: VeraModel = {
    params: [{ key: "frozen", spec: { key: "frozen", torchShape: [1], layout: "vector", init: { kind: "zeros" } }, variable: frozen }],
    logp: (x) => tf.tidy(() => tf.add(targetLogDensity(target, x), tf.mul(tf.sum(frozen), 0)) as tf.Tensor1D),
  };
  const gen = new VeraGenerator(toyGeneratorArch(knobs.noise_dim, 2, knobs.h_dim), knobs, seed + 1);
  // --out-scale: the last Linear's initial weights × X, so the first samples spread X times wider.
  scaleParam(gen.net.params.filter((p) => p.key.endsWith(".weight")).at(-1)!, numberFlag("out-scale", 1));
  const trainer = new VeraTrainer(model, gen, knobs, 1);
  const xData = tf.zeros([knobs.batch_size, 2]);
  const report = (itr: number, s: { sigma: number; post_sigma: number; ent_gn: number }) => {
    const n = 2000, b = knobs.batch_size, p = new Float32Array(2 * n), rng = streamFor(seed, 0, "sample");
    for (let i = 0; i < n; i += b) {
      const { x, h, mu, xi } = gen.sample(b, rng);
      p.set((x.dataSync() as Float32Array).subarray(0, 2 * Math.min(b, n - i)), 2 * i);
      tf.dispose([x, h, mu, xi]);
    }
    const ef = tf.tidy(() => tf.mean(targetLogDensity(target, tf.tensor2d(p, [n, 2]))).dataSync()[0]);
    console.log(`iteration ${itr}: σ ${s.sigma.toFixed(4)}, σ_post ${s.post_sigma.toFixed(4)}, score norm ${s.ent_gn.toFixed(1)}, E_q f ${ef.toFixed(3)}, ${coverage(target, p)}`);
  };
  console.log(`VERA generator alone against the fixed ${target} log-density: glr ${knobs.glr}, K ${knobs.num_samples_posterior}, post_lr ${knobs.post_lr}, σ ∈ [${knobs.min_sigma}, ${knobs.max_sigma}], seed ${seed}`);
  report(0, { sigma: gen.sigma(), post_sigma: knobs.init_post_sigma, ent_gn: 0 });
  const start = performance.now();
  for (let itr = 0; itr < iters; itr++) {
    const s = trainer.iterate(itr, xData, streamFor(seed, itr + 1, "sample"));
    if ((itr + 1) % every === 0 || itr + 1 === iters) report(itr + 1, s);
  }
  console.log(`${((performance.now() - start) / iters).toFixed(1)} ms per generator update`);
  tf.dispose([xData, frozen]);
  gen.dispose();
}

async function ceiling(): Promise<void> {
  const dataset = checkToy2dName(flag("dataset", "rings"), "--dataset");
  const iters = positiveIntFlag("iters", 3000), seed = positiveIntFlag("seed", 1234), lr = numberFlag("lr", 1e-3), beta1 = numberFlag("beta1", 0);
  const png = flag("png", ""), res = 100, batch = positiveIntFlag("batch", 200);
  const points = sampleToy2d(dataset, 100000, new Random(seed)), n = points.length / 2;
  const net = createNet("mlp", { n_c: 2, n_f: 100 }, seed);
  // --first-scale / --first-bias-scale: the first layer's initial weights / biases × X (X < 1 moves its kinks outwards).
  scaleParam(net.params.find((p) => p.key === "f.0.weight")!, numberFlag("first-scale", 1));
  scaleParam(net.params.find((p) => p.key === "f.0.bias")!, numberFlag("first-bias-scale", 1));
  const opt = createOptimizer("adam", net.params, { lr, betas: [beta1, numberFlag("beta2", 0.9)] });
  const xs = gridAxis(TOY_2D_EXTENT, res), grid = gridPoints(xs);
  const pool = createPool({ threads: 1 });
  const evalPoints = gatherRows(points, 2, Int32Array.from({ length: 10000 }, (_, i) => Math.floor((i * n) / 10000)));
  const truth = await kdeOnGrid(pool, Float64Array.from(evalPoints), xs, xs, 0.1);
  await pool.close();
  const total = truth.reduce((a, v) => a + v, 0), trueMass = truth.map((v) => v / total);
  const gridT = tf.tensor2d(grid, [res * res, 2]);
  console.log(`${dataset}: the vera-toy EBM by exact maximum likelihood (normaliser on the ${res}×${res} grid), Adam lr ${lr}, betas (${beta1}, 0.9), batch ${batch}, seed ${seed}`);
  const start = performance.now();
  let ebmMass = normaliseLogGrid(logDensityOf(net, grid));
  for (let it = 1; it <= iters; it++) {
    const xb = tf.tensor2d(gatherRows(points, 2, streamFor(seed, it, "batch").indices(batch, n)), [batch, 2]);
    const { value, grads } = tf.variableGrads(() => tf.add(tf.mean(net.energy(xb)), tf.logSumExp(tf.neg(net.energy(gridT)))) as tf.Scalar, net.params.map((p) => p.variable));
    opt.step(Object.fromEntries(net.params.map((p) => [p.key, grads[p.variable.name]])));
    tf.dispose([xb, value, ...Object.values(grads)]);
    if (it % Math.max(1, Math.floor(iters / 6)) === 0 || it === iters) {
      ebmMass = normaliseLogGrid(logDensityOf(net, grid));
      console.log(`update ${it}: KL(true‖EBM) ${gridKL(trueMass, ebmMass).toFixed(3)} (${((performance.now() - start) / it).toFixed(1)} ms per update)`);
    }
  }
  gridT.dispose();
  net.dispose();
  if (!png) return;
  const scale = 3, w = res * scale, img = new Uint8Array(2 * w * w);
  [trueMass, ebmMass].forEach((d, panel) => {
    const max = d.reduce((a, v) => Math.max(a, v), 0);
    for (let iy = 0; iy < res; iy++) {
      for (let ix = 0; ix < res; ix++) {
        const v = Math.round(255 * Math.sqrt(d[iy * res + ix] / max));
        for (let a = 0; a < scale; a++) img.fill(v, ((res - 1 - iy) * scale + a) * 2 * w + panel * w + ix * scale, ((res - 1 - iy) * scale + a) * 2 * w + panel * w + (ix + 1) * scale);
      }
    }
  });
  await sharp(img, { raw: { width: 2 * w, height: w, channels: 1 } }).png().toFile(png);
  console.log(`wrote ${png} (true density | EBM density)`);
}

await runMain(async () => {
  benchFlags(USAGE, ["mode", "target", "dataset", "iters", "every", "glr", "out-scale", "max-sigma", "noise-dim", "ent-weight", "k", "lr", "beta1", "beta2", "batch", "first-scale", "first-bias-scale", "seed", "png"]);
  const mode = flag("mode", "");
  if (mode !== "generator" && mode !== "ceiling") throw new Error(`Cannot use --mode '${mode}': expected generator or ceiling (${USAGE})`);
  await initBackend("native");
  await (mode === "generator" ? generatorOnly() : ceiling());
});
