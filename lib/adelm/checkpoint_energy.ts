/**
 * The energy of a trained network from a `train-ebm` checkpoint (`checkpoint.safetensors`:
 * weights `net.<torch key>`, metadata `net_type`, `n_c`, `n_f`), as an ADELM {@link Energy}
 * U(x) = f(x)/temperature over states of the net's input shape (NHWC images in [-1, 1]).
 * Starts the tfjs backend `backend` first when this thread has none (pool workers).
 *
 * @example
 * ```ts
 * import { loadCheckpointEnergy } from "./checkpoint_energy.ts";
 * const energy = await loadCheckpointEnergy("runs/train/checkpoint.safetensors", 1, "wasm");
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createNet, type NetType } from "../nets/net.ts";
import { tensorsToStateDict } from "../train/model.ts";
import { initBackend } from "../tensor/backend.ts";
import { readSafetensors } from "../util/safetensors.ts";
import type { Energy } from "./energy.ts";
import { energyFromTfjs } from "./tfjs_energy.ts";

/** Loads the network of checkpoint `path` and wraps f(x)/temperature. */
export async function loadCheckpointEnergy(path: string, temperature: number, backend: string): Promise<Energy> {
  const current = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (!current && backend && backend !== "none") await initBackend(backend);
  const { tensors, metadata } = await readSafetensors(path);
  const type = metadata.net_type as NetType | undefined;
  if (!type) throw new Error(`Cannot read checkpoint '${path}': metadata has no 'net_type'`);
  const size = { n_c: Number(metadata.n_c ?? 3), n_f: Number(metadata.n_f ?? 32) };
  const net = createNet(type, size);
  net.loadStateDict(tensorsToStateDict(tensors), `'${path}'`);
  const energy = temperature === 1 ? (x: tf.Tensor) => net.energy(x) : (x: tf.Tensor) => tf.div(net.energy(x), temperature) as tf.Tensor1D;
  return energyFromTfjs(energy, net.inputShape);
}
