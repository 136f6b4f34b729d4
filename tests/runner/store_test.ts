/**
 * The store under faults (issue 20): damaged entries are found on a cache hit (size + mtime
 * checks, re-hash on an mtime change), named by `status`, rebuilt by the next run (also when only
 * a downstream step is forced), old manifests are upgraded once, `verify` re-hashes and sets
 * damaged entries aside, and concurrent inserts of one fingerprint both succeed.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { checkEntry, commitEntry, createTempDir, entryDir, verifyEntry } from "../../lib/runner/store.ts";
import { countTask, counts, makeProject, ranBetween, runCli } from "./rig.ts";

const pipeline = "steps:\n  a: { task: count, config: { label: a } }\n  b: { task: count, needs: [a], config: { label: b } }\n";

async function lockOf(root: string) {
  return JSON.parse(await Deno.readTextFile(join(root, "outputs/p/pipeline.lock.json")));
}

/** Overwrites `file` in place with bytes of the same length (the entry's files are read-only). */
async function corrupt(file: string): Promise<void> {
  const bytes = await Deno.readFile(file);
  bytes[0] ^= 0xff;
  await Deno.chmod(file, 0o644);
  await Deno.writeFile(file, bytes);
  await Deno.chmod(file, 0o444);
}

async function withProject(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await makeProject({ "pipelines/p.yaml": pipeline, "tasks/count.ts": countTask("count") });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

Deno.test("a same-size overwrite of a cached file is damaged: status names it, the next run rebuilds it, --force=b reads the rebuilt a", () =>
  withProject(async (root) => {
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    const good = await Deno.readTextFile(join(root, "outputs/p/a/out.txt"));
    await corrupt(join(root, "outputs/p/a/out.txt"));

    const status = await runCli(root, ["status", "p"]);
    assertEquals(status.code, 1, status.stdout);
    assert(/^damaged\s+a\s+damaged cached output \(out\.txt changed: sha256 /m.test(status.stdout), status.stdout);
    const json = JSON.parse((await runCli(root, ["status", "p", "--json"])).stdout);
    assertEquals(json.steps.map((s: { status: string }) => s.status), ["damaged", "fresh"]);

    const before = await counts(root);
    const run = await runCli(root, ["pipeline", "p", "--force=b"]);
    assertEquals(run.code, 0, run.stderr);
    assert(run.stdout.includes("set aside as outputs/.cache/damaged-"), run.stdout);
    assertEquals(ranBetween(before, await counts(root)), ["a", "b"], "the damaged a is rebuilt before the forced b");
    assertEquals(await Deno.readTextFile(join(root, "outputs/p/a/out.txt")), good);
    assert((await Deno.readTextFile(join(root, "outputs/p/b/out.txt"))).includes(`[${good}]`), "b read the rebuilt a, not the damaged one");
    assertEquals((await runCli(root, ["status", "p"])).code, 0);
  }));

Deno.test("an mtime change without a content change keeps the entry fresh and records the new mtime", () =>
  withProject(async (root) => {
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    const fp = (await lockOf(root)).steps.a.fingerprint;
    const file = join(entryDir(root, fp), "out.txt");
    await Deno.utime(file, new Date(), new Date(Date.now() - 3600_000));
    const state = await checkEntry(root, fp);
    assertEquals(state.state, "fresh");
    const manifest = JSON.parse(await Deno.readTextFile(join(entryDir(root, fp), "manifest.json")));
    assertEquals(manifest.files["out.txt"].mtimeMs, (await Deno.stat(file)).mtime!.getTime());
    const before = await counts(root);
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    assertEquals(ranBetween(before, await counts(root)), []);
  }));

Deno.test("a version-1 manifest (sizes only) is re-hashed once and upgraded; a wrong hash in it is damaged", () =>
  withProject(async (root) => {
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    const lock = await lockOf(root);
    const asV1 = async (fp: string, mangle: boolean) => {
      const path = join(entryDir(root, fp), "manifest.json");
      const m = JSON.parse(await Deno.readTextFile(path));
      const files = Object.fromEntries(Object.entries(m.files as Record<string, { size: number; sha256: string }>).map(([k, v]) => [k, { size: v.size, sha256: mangle && k === "out.txt" ? "0".repeat(64) : v.sha256 }]));
      await Deno.writeTextFile(path, JSON.stringify({ version: 1, fingerprint: fp, created: m.created, files }));
    };
    await asV1(lock.steps.a.fingerprint, false);
    await asV1(lock.steps.b.fingerprint, true);
    const a = await checkEntry(root, lock.steps.a.fingerprint);
    assertEquals(a.state, "fresh");
    const upgraded = JSON.parse(await Deno.readTextFile(join(entryDir(root, lock.steps.a.fingerprint), "manifest.json")));
    assertEquals(upgraded.version, 2);
    assertEquals(typeof upgraded.files["out.txt"].mtimeMs, "number");
    const b = await checkEntry(root, lock.steps.b.fingerprint);
    assertEquals(b.state, "damaged");
    assert(b.state === "damaged" && b.problems[0].startsWith("out.txt changed"), JSON.stringify(b));
  }));

Deno.test("verify re-hashes, reports each damaged file, exits 1 and sets the entry aside; clean then removes it", () =>
  withProject(async (root) => {
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    const ok = await runCli(root, ["verify", "p"]);
    assertEquals(ok.code, 0, ok.stdout + ok.stderr);
    assert(ok.stdout.includes("verified 2 store entries of pipeline p: all intact"), ok.stdout);

    // Same size, same mtime: invisible to the cheap check, found by verify.
    const file = join(root, "outputs/p/a/out.txt");
    const { mtime } = await Deno.stat(file);
    await corrupt(file);
    await Deno.utime(file, mtime!, mtime!);
    assertEquals((await runCli(root, ["status", "p"])).code, 0, "the cheap check trusts an unchanged size and mtime");

    const bad = await runCli(root, ["verify"]);
    assertEquals(bad.code, 1, bad.stdout + bad.stderr);
    assert(/damaged {2}[0-9a-f]{12} \(p\/a\)\n {11}out\.txt changed/.test(bad.stdout), bad.stdout);
    assert(bad.stdout.includes("set aside as outputs/.cache/damaged-"), bad.stdout);
    const status = await runCli(root, ["status", "p"]);
    assertEquals(status.code, 1);
    assert(/^stale\s+a\s+no cached output/m.test(status.stdout), status.stdout);

    const before = await counts(root);
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    assertEquals(ranBetween(before, await counts(root)), ["a"]);
    const clean = JSON.parse((await runCli(root, ["clean", "--json"])).stdout);
    assert(clean.removed.some((n: string) => n.startsWith("damaged-")), JSON.stringify(clean));
    assertEquals((await runCli(root, ["verify", "--json"])).code, 0);
  }));

Deno.test("concurrent inserts of one fingerprint: one wins, the others adopt it, nothing is left behind", async () => {
  const root = await Deno.makeTempDir({ prefix: "store-race-" });
  try {
    const fp = "ab".repeat(32);
    for (let round = 0; round < 5; round++) {
      const tmps = await Promise.all([0, 1, 2, 3].map(async (i) => {
        const tmp = await createTempDir(root);
        await Deno.writeTextFile(join(tmp, "out.txt"), `same ${round}`);
        await Deno.writeTextFile(join(tmp, "step.log"), `writer ${i}`);
        return tmp;
      }));
      const replaceId = round === 0 ? null : (await checkEntry(root, fp)).state === "fresh" ? ((await checkEntry(root, fp)) as { manifest: { id: string } }).manifest.id : null;
      // Rounds after the first replace the entry as --force would: exactly one writer replaces it.
      const results = await Promise.all(tmps.map((tmp) => commitEntry(root, tmp, fp, { replaceId })));
      assertEquals(results.filter((r) => r.inserted).length, 1, `round ${round}: exactly one insert wins`);
      const ids = new Set(results.map((r) => r.manifest.id));
      assertEquals(ids.size, 1, "every writer ends up with the winner's entry");
      assertEquals((await verifyEntry(root, fp)).state, "fresh");
      const left = [...Deno.readDirSync(join(root, "outputs/.cache"))].map((e) => e.name).sort();
      assertEquals(left.filter((n) => !n.startsWith("replaced-")), [fp], `round ${round}: no tmp- or trash- directories remain`);
      assertEquals(left.filter((n) => n.startsWith("replaced-")).length, round, "one tombstone per replaced entry");
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("clean keeps the saved state of an unfinished step (as after a SIGKILL), drops finished and month-old state; --dry-run says why", () =>
  withProject(async (root) => {
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    const store = join(root, "outputs/.cache");
    const finished = (await lockOf(root)).steps.a.fingerprint;
    const unfinished = "c".repeat(64), abandoned = "d".repeat(64);
    for (const fp of [finished, unfinished, abandoned]) {
      await Deno.mkdir(join(store, `resume-${fp}`));
      await Deno.writeTextFile(join(store, `resume-${fp}`, "state.safetensors"), "checkpoint");
    }
    const old = new Date(Date.now() - 40 * 864e5);
    await Deno.utime(join(store, `resume-${abandoned}`, "state.safetensors"), old, old);
    await Deno.utime(join(store, `resume-${abandoned}`), old, old);

    const dry = await runCli(root, ["clean", "--dry-run"]);
    assertEquals(dry.code, 0, dry.stderr);
    assert(dry.stdout.includes(`would remove resume-${finished} (0.0 MB): saved state of a step that has since finished`), dry.stdout);
    assert(new RegExp(`keep +resume-${unfinished}: saved state of an unfinished step, last written 0\\.\\d h ago \\(kept 30 days\\)`).test(dry.stdout), dry.stdout);
    assert(dry.stdout.includes(`would remove resume-${abandoned} (0.0 MB): saved state of an unfinished step, last written 40.0 days ago`), dry.stdout);
    assert(await Deno.stat(join(store, `resume-${finished}`)).then(() => true), "--dry-run deletes nothing");

    const clean = JSON.parse((await runCli(root, ["clean", "--json"])).stdout);
    assertEquals(clean.removed.filter((n: string) => n.startsWith("resume-")).sort(), [`resume-${finished}`, `resume-${abandoned}`].sort());
    assertEquals(await Deno.readTextFile(join(store, `resume-${unfinished}`, "state.safetensors")), "checkpoint");
  }));
