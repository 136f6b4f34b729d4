/**
 * Distance and energy statistics of a set of states, used to report scales and to set δ "auto".
 *
 * @example
 * ```ts ignore
 * import { distanceStats } from "./stats.ts";
 * const { medianPair, medianNearest } = distanceStats(states);
 * ```
 * @module
 */
import { distance } from "./energy.ts";

/** Median of a list (NaN when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Median pairwise distance and median nearest-neighbour distance of `states`. */
export function distanceStats(states: Float32Array[]): { medianPair: number; medianNearest: number } {
  const pair: number[] = [], nearest = new Array<number>(states.length).fill(Infinity);
  for (let i = 0; i < states.length; i++) {
    for (let j = i + 1; j < states.length; j++) {
      const d = distance(states[i], states[j]);
      pair.push(d);
      nearest[i] = Math.min(nearest[i], d);
      nearest[j] = Math.min(nearest[j], d);
    }
  }
  return { medianPair: median(pair), medianNearest: states.length > 1 ? median(nearest) : NaN };
}
