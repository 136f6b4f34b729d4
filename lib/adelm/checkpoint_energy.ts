/**
 * The energy of a trained network from a `train-ebm` checkpoint (`lib/artifacts/checkpoint.ts`;
 * the network shape from its metadata or, for files without, from the energy source's config
 * `net_type`, `n_c`, `n_f`), as an ADELM {@link Energy}
 * U(x) = f(x)/temperature over states of the net's input shape (NHWC images in [-1, 1]).
 * Starts the tfjs backend `backend` first when this thread has none (pool workers).
 *
 * @example
 * ```ts
 * import { loadCheckpointEnergy } from "./checkpoint_energy.ts";
 * const energy = await loadCheckpointEnergy("runs/train/checkpoint.safetensors", 1, "wasm", {});
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createNet } from "../nets/net.ts";
import { type NetShape, readCheckpoint } from "../artifacts/checkpoint.ts";
import { initBackend } from "../tensor/backend.ts";
import type { Energy } from "./energy.ts";
import { energyFromTfjs } from "./tfjs_energy.ts";

/**
 * Loads the network of checkpoint `path` and wraps f(x)/temperature. `shape`: the network shape
 * the step's config gives (`energy.net_type`, `energy.n_c`, `energy.n_f`), needed for files
 * without metadata and checked against the metadata of files with it.
 */
export async function loadCheckpointEnergy(path: string, temperature: number, backend: string, shape: Partial<NetShape>): Promise<Energy> {
  const current = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (!current && backend && backend !== "none") await initBackend(backend);
  const ck = await readCheckpoint(path, shape, "the step's config 'energy'");
  const net = createNet(ck.shape.net_type, ck.shape);
  net.loadStateDict(ck.stateDict, `'${path}'`);
  const energy = temperature === 1 ? (x: tf.Tensor) => net.energy(x) : (x: tf.Tensor) => tf.div(net.energy(x), temperature) as tf.Tensor1D;
  return energyFromTfjs(energy, net.inputShape);
}
