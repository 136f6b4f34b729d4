/**
 * Tally of the Metropolis–Hastings acceptance rates of attraction-diffusion trials run through an
 * {@link Executor}: `ad.sampler: mh` reports how often its proposals were accepted, the first
 * thing to check when MH trials stall.
 *
 * @example
 * ```ts ignore
 * import { tallyAcceptance } from "./acceptance.ts";
 * const tally = tallyAcceptance(executor);
 * await clusterMinima(minima, energies, tally.executor, options);
 * tally.mean(); // mean acceptance rate over MH trials, or null when none ran
 * ```
 * @module
 */
import type { Executor } from "./executor.ts";

/** An executor that counts the acceptance rates of the trials it runs, and the running mean. */
export interface AcceptanceTally {
  executor: Executor;
  /** Mean acceptance rate over the MH trials run so far; null when none ran. */
  mean(): number | null;
}

/** Wraps `executor`; every other behaviour is unchanged. */
export function tallyAcceptance(executor: Executor): AcceptanceTally {
  let sum = 0, count = 0;
  const tracked: Executor = {
    get name() {
      return executor.name;
    },
    async attract(jobs, params, onProgress) {
      const results = await executor.attract(jobs, params, onProgress);
      for (const r of results) {
        if (r.acceptRate !== null) {
          sum += r.acceptRate;
          count++;
        }
      }
      return results;
    },
    search: (jobs, params, onProgress) => executor.search(jobs, params, onProgress),
  };
  return { executor: tracked, mean: () => (count > 0 ? sum / count : null) };
}
