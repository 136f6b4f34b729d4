/**
 * Pool worker module for {@link import("./executor.ts").poolExecutor}: rebuilds the energy from
 * its config once per thread (cached at module level) and runs a task's jobs as one lockstep batch
 * (`maxBatch`, default 1 = one at a time).
 * @module
 */
import type { Energy } from "./energy.ts";
import { type EnergySource, loadEnergy } from "./energy_source.ts";
import type { AttractionParams, AttractionResult } from "./attraction.ts";
import type { SearchParams, SearchResult } from "./search.ts";
import { type ChainJob, runChains, runTrials, type TrialJob } from "./executor.ts";

const cache = new Map<string, Promise<Energy>>();

/** The energy of `sourceJson` (the executor serialises the source once; strings clone cheaply). */
function energyFor(sourceJson: string): Promise<Energy> {
  let energy = cache.get(sourceJson);
  if (!energy) {
    // one energy per thread: a checkpoint is loaded once, not per trial
    cache.clear();
    energy = loadEnergy(JSON.parse(sourceJson) as EnergySource);
    cache.set(sourceJson, energy);
  }
  return energy;
}

/** Runs AD trials on this thread. */
export async function attract(arg: { sourceJson: string; jobs: TrialJob[]; params: AttractionParams; maxBatch?: number }): Promise<AttractionResult[]> {
  return runTrials(await energyFor(arg.sourceJson), arg.jobs, arg.params, arg.maxBatch ?? 1);
}

/** Runs search chains on this thread. */
export async function search(arg: { sourceJson: string; jobs: ChainJob[]; params: SearchParams; maxBatch?: number }): Promise<SearchResult[]> {
  return runChains(await energyFor(arg.sourceJson), arg.jobs, arg.params, arg.maxBatch ?? 1);
}
