/**
 * Claims: at most one process at a time produces a given store entry, so two pipelines (or two
 * machines) that need the same step run it once, and a step's resume directory
 * (`resume-<fingerprint>/`) never has two writers.
 *
 * ## Protocol (same file-system assumptions as `store.ts`: atomic `mkdir` and `rename`, no clocks)
 * - Claim: `mkdir outputs/.cache/claim-<fingerprint>` (fails if it exists), then write
 *   `owner.json` (`host`, `pid`, a random `token`, a heartbeat counter `beat`). The owner rewrites
 *   `owner.json` with `beat + 1` every {@link HEARTBEAT_MS} ms and removes the directory when the
 *   step has been committed or has failed.
 * - A process that finds the claim taken waits, polling, until the claim goes away; it then
 *   claims, and uses the entry if the previous owner published it, else runs the step itself.
 * - A claim is dead when its owner is on this host and its pid is gone, or when its `beat` has
 *   not changed for {@link staleMs} ms as measured by the waiter's own clock (so only the
 *   waiter's clock is used; hosts need not agree on the time). A dead claim is broken by
 *   renaming it to `claim-<fingerprint>.dead-<token>`: a name that depends only on the dead
 *   owner's token and stays a non-empty directory until `clean`, so when several waiters break
 *   the same claim only one rename succeeds, and a waiter that judged an old claim dead can never
 *   move a newer owner's claim (its rename hits the existing destination and fails).
 *
 * @example
 * ```ts
 * import { claimEntry } from "./claim.ts";
 * async function example(root: string, fingerprint: string, signal: AbortSignal) {
 *   const claim = await claimEntry(root, fingerprint, { signal, onWait: (who) => console.log(`waiting for ${who}`) });
 *   try {
 *     // check the store again (the previous owner may have published the entry), else run and commit
 *   } finally {
 *     await claim.release();
 *   }
 * }
 * ```
 * @module
 */
import { join } from "node:path";
import { storeDir } from "./paths.ts";
import { processAlive } from "./run_lock.ts";
import { hostTag } from "./store.ts";
import { readJson, writeJsonAtomic } from "../util/fs.ts";

/** How often an owner renews its claim. */
export const HEARTBEAT_MS = 2000;

/** How long a waiter sees an unchanged heartbeat before it takes the claim as dead (env `EBM_CLAIM_STALE_MS`, default 30 s). */
export function staleMs(): number {
  const env = Number(Deno.env.get("EBM_CLAIM_STALE_MS"));
  return Number.isFinite(env) && env > 0 ? env : 15 * HEARTBEAT_MS;
}

const POLL_MS = 200;

/** `owner.json` of a claim. */
interface Owner {
  host: string;
  pid: number;
  token: string;
  beat: number;
}

/** A held claim. */
export interface Claim {
  release(): Promise<void>;
}


/** Path of the claim directory of `fingerprint`. */
export function claimDir(root: string, fingerprint: string): string {
  return join(storeDir(root), `claim-${fingerprint}`);
}

function describe(owner: Partial<Owner> | null): string {
  return owner?.pid !== undefined ? `process ${owner.pid} on ${owner.host}` : "another process";
}

/**
 * Claims the entry of `fingerprint`, waiting while a live owner holds it (see the module doc).
 * The caller then checks the store: the previous owner may have published the entry meanwhile.
 * Rejects when `signal` aborts.
 */
export async function claimEntry(
  root: string,
  fingerprint: string,
  options: { signal?: AbortSignal; onWait?(owner: string): void; onBreak?(owner: string, why: string): void },
): Promise<Claim> {
  const dir = claimDir(root, fingerprint);
  let watched: { token: string | undefined; beat: number | undefined; since: number } | null = null;
  let waitingSaid = false;
  while (true) {
    options.signal?.throwIfAborted();
    try {
      await Deno.mkdir(dir);
      return await hold(dir);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        await Deno.mkdir(storeDir(root), { recursive: true }); // a fresh store: create it, then claim
        continue;
      }
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const owner = await readJson<Partial<Owner>>(join(dir, "owner.json")).catch(() => null);
    let dead: string | null = null;
    if (owner && owner.host === hostTag() && typeof owner.pid === "number" && !processAlive(owner.pid)) {
      dead = `process ${owner.pid} is gone`;
    } else {
      const now = performance.now();
      if (!watched || watched.token !== owner?.token || watched.beat !== owner?.beat) watched = { token: owner?.token, beat: owner?.beat, since: now };
      else if (now - watched.since > staleMs()) dead = `its heartbeat has not changed for ${Math.round((now - watched.since) / 1000)} s`;
    }
    if (dead) {
      const tomb = join(storeDir(root), `claim-${fingerprint}.dead-${owner?.token ?? crypto.randomUUID().slice(0, 8)}`);
      try {
        await Deno.rename(dir, tomb);
        options.onBreak?.(describe(owner), dead);
      } catch {
        // someone else broke it first (or it was released): try again
      }
      watched = null;
      continue;
    }
    if (!waitingSaid) {
      options.onWait?.(describe(owner));
      waitingSaid = true;
    }
    await sleep(POLL_MS, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Who holds the claim of `fingerprint` now ("process N on host"), or null when nobody (or only a dead process on this host) does. */
export async function claimHolder(root: string, fingerprint: string): Promise<string | null> {
  const owner = await readJson<Partial<Owner>>(join(claimDir(root, fingerprint), "owner.json")).catch(() => null);
  if (owner === null) return null;
  if (owner.host === hostTag() && typeof owner.pid === "number" && !processAlive(owner.pid)) return null;
  return describe(owner);
}

async function hold(dir: string): Promise<Claim> {
  const owner: Owner = { host: hostTag(), pid: Deno.pid, token: crypto.randomUUID().slice(0, 16), beat: 0 };
  await writeJsonAtomic(join(dir, "owner.json"), owner);
  const timer = setInterval(() => {
    owner.beat++;
    writeJsonAtomic(join(dir, "owner.json"), owner).catch(() => {});
  }, HEARTBEAT_MS);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
