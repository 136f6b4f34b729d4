/**
 * Test helper: starts the local one-node Slurm cluster (`deno task slurm:local`) once per test
 * process. Fails loudly, naming the Debian packages, when they are not installed.
 *
 * @example
 * ```ts
 * import { localCluster } from "./cluster.ts";
 * const cluster = await localCluster();
 * console.log(cluster.node);
 * ```
 * @module
 */
import { type LocalCluster, startLocalCluster } from "../../lib/slurm/local_cluster.ts";

let started: Promise<LocalCluster> | null = null;

/** The running local cluster (started on first use). */
export function localCluster(): Promise<LocalCluster> {
  started ??= startLocalCluster({ timeoutSeconds: 90 });
  return started;
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
