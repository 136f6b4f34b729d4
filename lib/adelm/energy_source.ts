/**
 * Where a task's energy comes from, as plain (structured-cloneable) config, so pool workers can
 * rebuild the same energy: `analytic` Gaussian wells defined in the config (runnable and testable
 * without a trained model), or `checkpoint` (a network trained by `train-ebm`).
 *
 * @example
 * ```ts
 * import { energySourceSchema, loadEnergy } from "./energy_source.ts";
 * const source = energySourceSchema.parse({ kind: "analytic", wells: [{ center: [0, 0] }, { center: [4, 0] }] });
 * const energy = await loadEnergy(source);
 * ```
 * @module
 */
import { z } from "zod";
import type { Energy } from "./energy.ts";
import { GaussianWells } from "./gaussian_wells.ts";

/** One Gaussian well in config: depth ≈ −log weight. */
export const wellSchema = z.object({
  center: z.array(z.number()).min(1),
  weight: z.number().positive().default(1),
  sigma: z.number().positive().default(1),
});

/** Config of the energy to analyse. */
export const energySourceSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("analytic"),
    /** U(x) = −log Σ_k w_k exp(−‖x−μ_k‖²/(2σ_k²)). */
    wells: z.array(wellSchema).min(1),
  }),
  z.object({
    kind: z.literal("checkpoint"),
    /** Path of a training checkpoint (safetensors); empty = the one upstream step with `checkpoint.safetensors`. */
    path: z.string().default(""),
    /**
     * U = f(x)/temperature. Default 1: the search and AD temperatures are then on the scale of
     * the raw network output, where training's Langevin ran at T = ε_train²/2 with step ε_train.
     */
    temperature: z.number().positive().default(1),
    /** tfjs backend for pool workers; filled in by the tasks from the run's backend. */
    backend: z.string().default(""),
    /**
     * The network shape, for checkpoints without metadata (converted PyTorch state_dicts):
     * checkpoints written by training record it, and where both are given they must agree.
     */
    net_type: z.enum(["toy", "vanilla", "nonlocal"]).optional(),
    n_c: z.number().int().positive().optional(),
    n_f: z.number().int().positive().optional(),
  }),
]);

/** A validated energy source. */
export type EnergySource = z.output<typeof energySourceSchema>;

/** Builds the energy described by `source`. */
export function loadEnergy(source: EnergySource): Promise<Energy> {
  switch (source.kind) {
    case "analytic": {
      const dims = new Set(source.wells.map((w) => w.center.length));
      if (dims.size !== 1) {
        return Promise.reject(new Error(`Cannot read config 'energy.wells': all centres need the same length, got lengths ${[...dims].join(", ")}`));
      }
      return Promise.resolve(new GaussianWells(source.wells));
    }
    case "checkpoint": {
      if (!source.path) return Promise.reject(new Error("Cannot load energy kind 'checkpoint': 'energy.path' is empty (tasks resolve it from the upstream training step)"));
      // imported lazily: analytic runs and their workers never load tfjs or the nets
      return import("./checkpoint_energy.ts").then((m) => m.loadCheckpointEnergy(source.path, source.temperature, source.backend, { net_type: source.net_type, n_c: source.n_c, n_f: source.n_f }));
    }
  }
}
