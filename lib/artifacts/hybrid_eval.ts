/**
 * The joint classifier-EBM's evaluation results (owner: schema, writer, reader):
 * - `eval.json`: test accuracy and cross-entropy, expected calibration error and its reliability
 *   table (equal-width confidence bins (lo, hi]), per-class accuracy, mean/sd energies of the test
 *   images, of uniform noise U(−1, 1) and of short-run samples, and the sampler settings used;
 * - `energies.safetensors`: the energies themselves (F32 `test`, `noise`, `samples`), for histograms.
 * Energies follow the model's sign convention (`energy_sign`). Samples go to `samples.safetensors`
 * (`hybrid_samples.ts`). A missing or malformed field is an error naming the file and the field.
 *
 * @example
 * ```ts
 * import { readHybridEval, writeHybridEval } from "./hybrid_eval.ts";
 * const result = await readHybridEval("outputs/hybrid-fashion/eval"); // reads eval.json
 * console.log(result.test_accuracy, result.ece, result.energies.test.mean);
 * await writeHybridEval("out", result, { test: new Float32Array(0), noise: new Float32Array(0), samples: new Float32Array(0) });
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { decodeSafetensors, encodeSafetensors } from "../util/safetensors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";

export const EVAL_FILE = "eval.json";
export const ENERGIES_FILE = "energies.safetensors";

const finite = () => z.number().finite();
const MeanSd = z.strictObject({ mean: finite(), sd: finite(), count: z.number().int().nonnegative() });

/** One reliability-table row: a confidence bin (lo, hi] with its count, mean confidence and accuracy (null when empty). */
export const ReliabilityBin = z.strictObject({
  lo: finite(),
  hi: finite(),
  count: z.number().int().nonnegative(),
  confidence: finite().nullable(),
  accuracy: finite().nullable(),
});
export type ReliabilityBin = z.output<typeof ReliabilityBin>;

/** Contents of eval.json. */
export const HybridEvalResult = z.strictObject({
  format: z.literal("ebm-hybrid-eval/1"),
  energy_sign: z.enum(["jem", "seed"]),
  /** Step id of the training step whose model was evaluated (empty outside a pipeline). */
  model_from: z.string(),
  test_images: z.number().int().positive(),
  test_accuracy: finite(),
  test_ce: finite(),
  per_class_accuracy: z.array(finite().nullable()),
  ece: finite(),
  reliability: z.array(ReliabilityBin),
  energies: z.strictObject({ test: MeanSd, noise: MeanSd, samples: MeanSd }),
  sampler: z.strictObject({
    steps: z.number().int().nonnegative(),
    alpha: finite(),
    sigma: finite(),
    clamp: z.enum(["final", "step"]),
    unconditional: z.number().int().nonnegative(),
    per_class: z.number().int().nonnegative(),
  }),
});
export type HybridEvalResult = z.output<typeof HybridEvalResult>;

/** The raw energies behind the means. */
export interface EnergyArrays {
  test: Float32Array;
  noise: Float32Array;
  samples: Float32Array;
}

/** Writes eval.json and energies.safetensors into `dir`. */
export async function writeHybridEval(dir: string, result: HybridEvalResult, energies: EnergyArrays): Promise<void> {
  await writeJsonAtomic(join(dir, EVAL_FILE), HybridEvalResult.parse(result));
  await writeFileAtomic(join(dir, ENERGIES_FILE), encodeSafetensors({
    test: { dtype: "F32", shape: [energies.test.length], data: energies.test },
    noise: { dtype: "F32", shape: [energies.noise.length], data: energies.noise },
    samples: { dtype: "F32", shape: [energies.samples.length], data: energies.samples },
  }, { energy_sign: result.energy_sign }));
}

/** Reads eval.json from a step directory. */
export async function readHybridEval(dir: string): Promise<HybridEvalResult> {
  const path = join(dir, EVAL_FILE);
  const parsed = HybridEvalResult.safeParse(JSON.parse(await Deno.readTextFile(path)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Cannot read '${path}': field '${issue.path.join(".")}' ${issue.message}`);
  }
  return parsed.data;
}

/** Reads energies.safetensors from a step directory. */
export async function readEnergyArrays(dir: string): Promise<EnergyArrays> {
  const path = join(dir, ENERGIES_FILE);
  const { tensors } = decodeSafetensors(await Deno.readFile(path), `'${path}'`);
  const get = (name: string) => {
    const t = tensors[name];
    if (!t || t.dtype !== "F32") throw new Error(`Cannot read '${path}': tensor '${name}' (F32) is missing`);
    return t.data as Float32Array;
  };
  return { test: get("test"), noise: get("noise"), samples: get("samples") };
}
