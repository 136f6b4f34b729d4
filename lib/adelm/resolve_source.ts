/**
 * Completes a task's energy source before it is handed to executors and workers: a checkpoint
 * source gets the upstream training step's `checkpoint.safetensors` when `path` is empty, and
 * the run's tfjs backend so pool workers start the same one.
 *
 * @example
 * ```ts ignore
 * import { resolveEnergySource } from "./resolve_source.ts";
 * const source = await resolveEnergySource(ctx.config.energy, ctx);
 * ```
 * @module
 */
import { join } from "node:path";
import type { TaskContext } from "../task.ts";
import { exists } from "../util/fs.ts";
import type { EnergySource } from "./energy_source.ts";
import { CHECKPOINT_FILE as CHECKPOINT } from "../artifacts/checkpoint.ts";

/** The source with checkpoint path and backend filled in; analytic sources are returned as is. */
export async function resolveEnergySource(source: EnergySource, ctx: Pick<TaskContext<unknown>, "inputWith" | "backend">): Promise<EnergySource> {
  if (source.kind !== "checkpoint") return source;
  const backend = source.backend || ctx.backend;
  if (source.path) {
    if (!(await exists(source.path))) throw new Error(`Cannot read config 'energy.path': no file at '${source.path}'`);
    return { ...source, backend };
  }
  const found = ctx.inputWith(CHECKPOINT, "Cannot find the network for 'energy.kind' checkpoint", "set 'energy.path' or depend on a training step");
  return { ...source, path: join(found.dir, CHECKPOINT), backend };
}
