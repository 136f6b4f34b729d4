/**
 * The run lock `outputs/<pipeline>/.run.lock` (pid + start time), created exclusively so two runs
 * of one pipeline never write at once. A lock whose process is gone (e.g. the run was killed) is
 * recovered with a note.
 *
 * @example
 * ```ts
 * import { acquireRunLock } from "./run_lock.ts";
 * const lock = await acquireRunLock(root, "demo", (note) => console.error(note));
 * try { … } finally { await lock.release(); }
 * ```
 * @module
 */
import { join } from "node:path";
import { UserError } from "./errors.ts";
import { pipelineOutDir } from "./paths.ts";

/** A held run lock. */
export interface RunLock {
  path: string;
  release(): Promise<void>;
}

/** True while a process with this pid exists (Linux: /proc; elsewhere: signal 0). */
export function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    if (Deno.build.os === "linux") return false;
  }
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Holder of the lock of `pipeline`, when a live process holds it. */
export async function runLockHolder(root: string, pipeline: string): Promise<{ pid: number; started: string } | null> {
  try {
    const info = JSON.parse(await Deno.readTextFile(join(pipelineOutDir(root, pipeline), ".run.lock")));
    return typeof info.pid === "number" && processAlive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** Takes the lock or throws a {@link UserError} naming the holder's pid. */
export async function acquireRunLock(root: string, pipeline: string, note: (message: string) => void): Promise<RunLock> {
  const dir = pipelineOutDir(root, pipeline);
  const path = join(dir, ".run.lock");
  await Deno.mkdir(dir, { recursive: true });
  const content = JSON.stringify({ pid: Deno.pid, started: new Date().toISOString() }) + "\n";
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, content, { createNew: true });
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await Deno.remove(path).catch(() => {});
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    let holder: { pid?: number; started?: string } = {};
    try {
      holder = JSON.parse(await Deno.readTextFile(path));
    } catch {
      // empty or half-written by a process that died while creating it: treat as stale
    }
    if (typeof holder.pid === "number" && processAlive(holder.pid)) {
      throw new UserError(
        `Cannot run pipeline '${pipeline}': another run (pid ${holder.pid}, started ${holder.started}) holds ${relativeLock(pipeline)}; wait for it or stop it`,
      );
    }
    note(`Recovered a stale lock ${relativeLock(pipeline)} left by pid ${holder.pid ?? "unknown"} (process gone)`);
    await Deno.remove(path).catch(() => {});
  }
  throw new UserError(`Cannot run pipeline '${pipeline}': could not take ${relativeLock(pipeline)}`);
}

function relativeLock(pipeline: string): string {
  return `outputs/${pipeline}/.run.lock`;
}
