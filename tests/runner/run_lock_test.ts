/**
 * The run lock is a kernel lock: held while its process lives, never blocking after it dies, and
 * taken by exactly one of several runs that race to recover a stale lock file.
 */
import { join } from "node:path";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { acquireRunLock, runLockHolder } from "../../lib/runner/run_lock.ts";

const lockModule = new URL("../../lib/runner/run_lock.ts", import.meta.url).href;

async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "run-lock-test-" });
  try {
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("a held lock refuses a second taker and names the holder; release lets the next one in", () =>
  withRoot(async (root) => {
    const notes: string[] = [];
    const first = await acquireRunLock(root, "p", (n) => notes.push(n));
    assertEquals((await runLockHolder(root, "p"))?.pid, Deno.pid);
    await assertThrowsAsync(() => acquireRunLock(root, "p", () => {}), `pid ${Deno.pid}`);
    await first.release();
    assertEquals(await runLockHolder(root, "p"), null);
    const second = await acquireRunLock(root, "p", (n) => notes.push(n));
    await second.release();
    assertEquals(notes, [], "a cleanly released lock is not reported as stale");
  }));

Deno.test("a lock file left by a dead process is recovered with a note naming its pid", () =>
  withRoot(async (root) => {
    await Deno.mkdir(join(root, "outputs/p"), { recursive: true });
    await Deno.writeTextFile(join(root, "outputs/p/.run.lock"), JSON.stringify({ pid: 999999999, started: "then" }));
    assertEquals(await runLockHolder(root, "p"), null, "an unlocked file names no live holder");
    const notes: string[] = [];
    const lock = await acquireRunLock(root, "p", (n) => notes.push(n));
    await lock.release();
    assertEquals(notes.length, 1);
    assert(notes[0].includes("pid 999999999"), notes[0]);
  }));

Deno.test("runs racing to recover one stale lock: exactly one wins", () =>
  withRoot(async (root) => {
    await Deno.mkdir(join(root, "outputs/p"), { recursive: true });
    await Deno.writeTextFile(join(root, "outputs/p/.run.lock"), JSON.stringify({ pid: 999999999, started: "then" }));
    const script = `
      const { acquireRunLock } = await import(${JSON.stringify(lockModule)});
      try {
        const lock = await acquireRunLock(${JSON.stringify(root)}, "p", () => {});
        console.log("won");
        await new Promise((r) => setTimeout(r, 1500));
        await lock.release();
      } catch (e) {
        console.log("refused: " + e.message);
      }`;
    const racers = Array.from({ length: 4 }, () =>
      new Deno.Command(Deno.execPath(), { args: ["eval", "--no-lock", "-R", "-W", script], stdout: "piped", stderr: "piped" }).output()
    );
    const outputs = (await Promise.all(racers)).map((o) => new TextDecoder().decode(o.stdout).trim());
    assertEquals(outputs.filter((o) => o === "won").length, 1, outputs.join("\n"));
    assertEquals(outputs.filter((o) => o.startsWith("refused:") && o.includes("holds outputs/p/.run.lock")).length, 3, outputs.join("\n"));
  }));
