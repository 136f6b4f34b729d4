/**
 * A tensor-free {@link TrainingProblem} for testing the loop: a parameter vector pulled towards
 * seeded noise, with d_t and r_t derived from it. It can be told to produce NaN at an iteration.
 * @module
 */
import type { TrainingProblem } from "../../lib/train/loop.ts";
import { streamFor } from "../../lib/train/streams.ts";
import type { NamedTensor } from "../../lib/util/safetensors.ts";

export class FakeProblem implements TrainingProblem {
  w = new Float32Array(4);
  logged: number[] = [];
  constructor(readonly seed: number, readonly nanAt = -1) {}

  iterate(iter: number, lr: number): Promise<{ d_t: number; r_t: number }> {
    const noise = streamFor(this.seed, iter, "batch").normalArray(4);
    for (let i = 0; i < 4; i++) this.w[i] -= lr * (this.w[i] - noise[i]);
    const d_t = iter === this.nanAt ? NaN : this.w.reduce((a, b) => a + b, 0);
    return Promise.resolve({ d_t, r_t: Math.abs(noise[0]) });
  }
  async logArtifacts(iter: number, dir: string): Promise<void> {
    this.logged.push(iter);
    await Deno.writeTextFile(`${dir}/logged_${iter}.txt`, String(this.w[0]));
  }
  stateTensors(): Promise<Record<string, NamedTensor>> {
    return Promise.resolve({ w: { dtype: "F32", shape: [4], data: Float32Array.from(this.w) } });
  }
  restoreState(tensors: Record<string, NamedTensor>): Promise<void> {
    this.w = Float32Array.from(tensors.w.data as Float32Array);
    return Promise.resolve();
  }
  firstNonFiniteWeight(): Promise<string | null> {
    return Promise.resolve(this.w.every(Number.isFinite) ? null : "w");
  }
  async finish(dir: string): Promise<Record<string, number>> {
    await Deno.writeTextFile(`${dir}/final.txt`, Array.from(this.w).join(","));
    return { w0: this.w[0] };
  }
}
