/**
 * The run lock `outputs/<pipeline>/.run.lock`, so two runs of one pipeline never write at once.
 *
 * The lock is an OS advisory lock (`flock`) on that file, not the file's existence: the kernel
 * drops it when the holding process dies, however it dies, so a killed run can never leave a lock
 * that blocks the next one, and two runs recovering after a crash cannot both win (the old
 * create-exclusive scheme had to delete a stale file, racing any other recoverer). The file's
 * content (pid and start time) only names the holder in messages. It is never deleted: a run
 * that deleted it could let a waiter lock the unlinked inode while a third run locks a new one.
 *
 * @example
 * ```ts ignore
 * import { acquireRunLock } from "./run_lock.ts";
 * const lock = await acquireRunLock(root, "demo", (note) => console.error(note));
 * try { … } finally { await lock.release(); }
 * ```
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import { UserError } from "./errors.ts";
import { pipelineOutDir } from "./paths.ts";

/** A held run lock. */
export interface RunLock {
  path: string;
  release(): Promise<void>;
}

/** Who holds (or last held) a run lock, as written in the lock file. */
export interface RunLockHolder {
  pid: number;
  started: string;
}

/**
 * True while a process with this pid exists on this machine. Uses `kill(pid, 0)` (needs
 * --allow-run, which the runner has): ESRCH means gone, EPERM means alive under another user.
 * Without it, `/proc/<pid>` where Deno lets us read it. When neither can tell, it answers
 * true: callers use "gone" to delete a process's files or take over its claim, so an unknown
 * process must count as alive. (Deno 2 refuses `/proc/<pid>` without --allow-all, so the old
 * `/proc` test alone called every process dead under the runner's permissions.)
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true;
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
  }
  return true;
}

function lockPath(root: string, pipeline: string): string {
  return join(pipelineOutDir(root, pipeline), ".run.lock");
}

async function readHolder(file: Deno.FsFile): Promise<Partial<RunLockHolder>> {
  await file.seek(0, Deno.SeekMode.Start);
  const bytes = new Uint8Array((await file.stat()).size);
  let read = 0;
  while (read < bytes.length) {
    const n = await file.read(bytes.subarray(read));
    if (n === null) break;
    read += n;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes.subarray(0, read)));
  } catch {
    return {}; // empty: released cleanly, or the holder died before writing its name
  }
}

/** The live holder of the lock of `pipeline`, or null when no run holds it. */
export async function runLockHolder(root: string, pipeline: string): Promise<RunLockHolder | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockPath(root, pipeline), { read: true, write: true });
  } catch {
    return null;
  }
  try {
    if (await file.tryLock(true)) {
      await file.unlock();
      return null;
    }
    const holder = await readHolder(file);
    return { pid: holder.pid ?? -1, started: holder.started ?? "unknown" };
  } finally {
    file.close();
  }
}

/** Takes the lock or throws a {@link UserError} naming the holder's pid. */
export async function acquireRunLock(root: string, pipeline: string, note: (message: string) => void): Promise<RunLock> {
  const path = lockPath(root, pipeline);
  await Deno.mkdir(pipelineOutDir(root, pipeline), { recursive: true });
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let locked = false;
  try {
    const previous = await readHolder(file);
    locked = await file.tryLock(true);
    if (!locked) {
      const holder = await readHolder(file);
      throw new UserError(
        `Cannot run pipeline '${pipeline}': another run (pid ${holder.pid ?? "unknown"}, started ${holder.started ?? "unknown"}) holds ${relativeLock(pipeline)}; wait for it or stop it`,
      );
    }
    if (typeof previous.pid === "number") {
      note(`Recovered a stale lock ${relativeLock(pipeline)} left by pid ${previous.pid} (process gone)`);
    }
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(JSON.stringify({ pid: Deno.pid, started: new Date().toISOString() }) + "\n"));
  } catch (e) {
    if (locked) await file.unlock().catch(() => {});
    file.close();
    throw e;
  }
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      try {
        await file.truncate(0);
        await file.unlock();
      } finally {
        file.close();
      }
    },
  };
}

function relativeLock(pipeline: string): string {
  return `outputs/${pipeline}/.run.lock`;
}
