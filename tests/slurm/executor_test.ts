/**
 * `--executor slurm` against the local one-node cluster (started by the test): every step a job
 * (job id and node in the lock, confirmed by scontrol), dependency order, a failing job's error,
 * a time limit, killing the runner cancels its jobs, cancelled-then-resubmitted and requeued
 * steps resume from saved state, two runs needing the same entry at once, and --jobs.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { jobInfo, requeueJob } from "../../lib/slurm/client.ts";
import { cliCommand, counts, countTask, makeProject, runCli } from "../runner/rig.ts";
import { eventually, localCluster } from "./cluster.ts";

const taskContractUrl = new URL("../../lib/task.ts", import.meta.url).href;

/** A fake long training: one iteration per 150 ms, its state saved in resumeDir after each. */
const resumableTask = `import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "${taskContractUrl}";
export default defineTask({
  name: "resumable",
  description: "fake resumable training",
  config: z.object({ iterations: z.number().int().default(60) }),
  async run(ctx) {
    const state = join(ctx.resumeDir, "state.json");
    let start = 0;
    try { start = JSON.parse(await Deno.readTextFile(state)).done; } catch { /* fresh */ }
    if (start > 0) ctx.log.info("resumed from iteration " + start);
    for (let i = start; i < ctx.config.iterations; i++) {
      ctx.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 150));
      await Deno.writeTextFile(state + ".tmp", JSON.stringify({ done: i + 1 }));
      await Deno.rename(state + ".tmp", state);
    }
    await ctx.writeMetrics({ resumed_from: start, iterations: ctx.config.iterations });
  },
});
`;

const settings = "poll_seconds: 0.5\ndefaults: { time: 5, cpus: 1, memory_mb: 300 }\ntasks:\n  count: { time: 1 }\n";
const roots: string[] = [];
globalThis.addEventListener("unload", () => roots.forEach((r) => Deno.removeSync(r, { recursive: true })));
const project = async () => {
  const root = await makeProject({
    "tasks/count.ts": countTask("count"),
    "tasks/resumable.ts": resumableTask,
    "slurm.yaml": settings,
    "pipelines/chain.yaml": "steps:\n  a: { task: count, config: { label: a } }\n  b: { task: count, needs: [a], config: { label: b } }\n  c: { task: count, needs: [a], config: { label: c } }\n",
    "pipelines/fails.yaml": "steps:\n  a: { task: count, config: { label: x, fail: true } }\n",
    "pipelines/held.yaml": "steps:\n  h: { task: count, config: { label: held } }\n",
    "pipelines/train.yaml": "steps:\n  train: { task: resumable }\n",
    "pipelines/same1.yaml": "steps:\n  s: { task: count, config: { label: same } }\n",
    "pipelines/same2.yaml": "steps:\n  s: { task: count, config: { label: same } }\n",
    "pipelines/wide.yaml": "steps:\n  p: { task: count, config: { label: p } }\n  q: { task: count, config: { label: q } }\n  r: { task: count, config: { label: r } }\n",
  });
  roots.push(root);
  return root;
};
const slurmArgs = ["--executor", "slurm", "--executor-config", "slurm.yaml"];
const readLock = async (root: string, pipeline: string) => JSON.parse(await Deno.readTextFile(join(root, "outputs", pipeline, "pipeline.lock.json")));

async function scontrolFields(id: string): Promise<Record<string, string>> {
  const out = await new Deno.Command("scontrol", { args: ["show", "job", "-o", id], stdout: "piped" }).output();
  const line = new TextDecoder().decode(out.stdout);
  return Object.fromEntries(line.trim().split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** The id of the running job of `pipeline:step` (by job name). */
async function runningJob(pipeline: string, step: string): Promise<string> {
  return await eventually(async () => {
    const out = await new Deno.Command("squeue", { args: ["-h", "-n", `${pipeline}:${step}`, "-t", "RUNNING", "-o", "%i"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n")[0] || undefined;
  }, 60_000, `job ${pipeline}:${step} to run`);
}

async function trainState(root: string): Promise<number> {
  for await (const e of Deno.readDir(join(root, "outputs", ".cache"))) {
    if (!e.name.startsWith("resume-")) continue;
    try {
      return JSON.parse(await Deno.readTextFile(join(root, "outputs", ".cache", e.name, "state.json"))).done;
    } catch {
      // not yet written
    }
  }
  return 0;
}

Deno.test("slurm executor: every step is a job (id and node in the lock, scontrol confirms), in dependency order", async () => {
  const cluster = await localCluster();
  const root = await project();
  const r = await runCli(root, ["pipeline", "chain", ...slurmArgs]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertEquals(await counts(root), { a: 1, b: 1, c: 1 });
  const lock = await readLock(root, "chain");
  const jobs: Record<string, Record<string, string>> = {};
  for (const id of ["a", "b", "c"]) {
    const place = lock.steps[id].place;
    assertEquals([place.executor, place.node, place.state], ["slurm", cluster.node, "COMPLETED"], id);
    jobs[id] = await scontrolFields(place.job_id);
    assertEquals([jobs[id].JobState, jobs[id].JobName], ["COMPLETED", `chain:${id}`]);
  }
  for (const id of ["b", "c"]) assert(jobs[id].StartTime >= jobs.a.EndTime, `${id} started ${jobs[id].StartTime} before a ended ${jobs.a.EndTime}`);
  assert(r.stdout.includes(`submitted as Slurm job ${lock.steps.a.place.job_id}`), r.stdout);
  const again = await runCli(root, ["pipeline", "chain", ...slurmArgs]);
  assert(again.stdout.includes("0 ran, 3 cached"), again.stdout);
});

Deno.test("slurm executor: a failing job's error reaches the runner with Slurm's state", async () => {
  await localCluster();
  const root = await project();
  const r = await runCli(root, ["pipeline", "fails", ...slurmArgs]);
  assertEquals(r.code, 1, r.stdout + r.stderr);
  const lock = await readLock(root, "fails");
  assert(/fake failure in x \(Slurm job \d+ FAILED on /.test(lock.steps.a.failure.message), lock.steps.a.failure.message);
  assertEquals([lock.steps.a.place.state, lock.steps.a.failure.kind], ["FAILED", "task"]);
  assert(r.stdout.includes("fake failure in x"), r.stdout);
});

Deno.test("slurm executor: killing the runner cancels its jobs", async () => {
  await localCluster();
  const root = await project();
  await Deno.writeTextFile(join(root, "hold-held"), "");
  const child = cliCommand(root, ["pipeline", "held", ...slurmArgs]).spawn();
  const id = await runningJob("held", "h");
  child.kill("SIGTERM");
  const status = await child.status;
  assertEquals(status.code, 130);
  const info = await eventually(async () => {
    const i = await jobInfo(id);
    return i && i.state === "CANCELLED" ? i : undefined;
  }, 30_000, `job ${id} to be cancelled`);
  assertEquals(info.state, "CANCELLED");
  const lock = await readLock(root, "held");
  assertEquals(lock.steps.h.status, "failed");
});

Deno.test("slurm executor: a cancelled-then-resubmitted training resumes from its saved state", async () => {
  await localCluster();
  const root = await project();
  const child = cliCommand(root, ["pipeline", "train", ...slurmArgs]).spawn();
  const id = await runningJob("train", "train");
  await eventually(async () => (await trainState(root)) >= 5 ? true : undefined, 60_000, "5 saved iterations");
  child.kill("SIGINT");
  assertEquals((await child.status).code, 130);
  assertEquals((await eventually(async () => (await jobInfo(id))?.state === "CANCELLED" ? "CANCELLED" : undefined, 30_000, "cancel")), "CANCELLED");
  const saved = await trainState(root);
  const r = await runCli(root, ["pipeline", "train", ...slurmArgs]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  const lock = await readLock(root, "train");
  assert(lock.steps.train.metrics.resumed_from >= 5 && lock.steps.train.metrics.resumed_from <= saved, JSON.stringify(lock.steps.train.metrics));
  assert(lock.steps.train.place.job_id !== id, "a new job");
});

Deno.test("slurm executor: a requeued training job resumes from its saved state and completes", async () => {
  await localCluster();
  const root = await project();
  const child = cliCommand(root, ["pipeline", "train", ...slurmArgs]).spawn();
  const id = await runningJob("train", "train");
  await eventually(async () => (await trainState(root)) >= 5 ? true : undefined, 60_000, "5 saved iterations");
  await requeueJob(id);
  // Slurm holds a requeued batch job back (BeginTime about two minutes on); release it now.
  await eventually(async () => (await jobInfo(id))?.state === "PENDING" ? true : undefined, 30_000, "the requeued job to be pending");
  // …once the node has cleaned up the first attempt (a job started earlier is killed: "credential revoked").
  await eventually(async () => {
    const out = await new Deno.Command("sinfo", { args: ["-h", "-N", "-o", "%T"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim() === "idle" ? true : undefined;
  }, 60_000, "the node to be idle");
  await new Promise((r) => setTimeout(r, 2000));
  await new Deno.Command("scontrol", { args: ["update", `JobId=${id}`, "StartTime=now"] }).output();
  const status = await child.output();
  const stdout = new TextDecoder().decode(status.stdout);
  assertEquals(status.code, 0, stdout + new TextDecoder().decode(status.stderr));
  const lock = await readLock(root, "train");
  assert(lock.steps.train.metrics.resumed_from >= 5, JSON.stringify(lock.steps.train.metrics));
  assertEquals([lock.steps.train.place.job_id, lock.steps.train.place.restarts], [id, 1]);
  assert(stdout.includes(`Slurm job ${id} requeued`), stdout);
});

Deno.test("slurm executor: two runs needing the same store entry at once both succeed; one job computes it, the other run waits for it", async () => {
  await localCluster();
  const root = await project();
  await Deno.writeTextFile(join(root, "hold-same"), "");
  const collect = (child: Deno.ChildProcess) => {
    const seen = { text: "" };
    const read = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) seen.text += chunk;
    };
    const done = Promise.all([read(child.stdout), read(child.stderr)]).then(() => child.status);
    return { seen, done };
  };
  const one = collect(cliCommand(root, ["pipeline", "same1", ...slurmArgs]).spawn());
  const two = collect(cliCommand(root, ["pipeline", "same2", ...slurmArgs]).spawn());
  const held = async () => {
    const out = await new Deno.Command("squeue", { args: ["-h", "-t", "RUNNING", "-o", "%j"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).split("\n").filter((n) => n === "same1:s" || n === "same2:s");
  };
  await eventually(async () => (await held()).length > 0 ? true : undefined, 60_000, "a job of same1 or same2 to run");
  // Release the job only once the other run is waiting for the entry.
  await eventually(async () => (one.seen.text + two.seen.text).includes("is producing the same output") ? true : undefined, 60_000, "the other run to wait");
  assertEquals((await held()).length, 1, "jobs running for the one entry");
  await Deno.remove(join(root, "hold-same"));
  const [s1, s2] = [await one.done, await two.done];
  const text = one.seen.text + two.seen.text;
  assertEquals([s1.code, s2.code], [0, 0], text);
  assertEquals((await counts(root)).same, 1, "computed once");
  const [l1, l2] = [await readLock(root, "same1"), await readLock(root, "same2")];
  assertEquals(l1.steps.s.fingerprint, l2.steps.s.fingerprint);
  assertEquals([l1.steps.s.status, l2.steps.s.status].sort(), ["cached", "ran"]);
  assert(text.includes("stored by another process meanwhile"), text);
});

Deno.test("slurm executor: --jobs bounds the jobs in flight", async () => {
  await localCluster();
  const root = await project();
  for (const label of ["p", "q", "r"]) await Deno.writeTextFile(join(root, `hold-${label}`), "");
  const child = cliCommand(root, ["pipeline", "wide", "--jobs", "1", ...slurmArgs]).spawn();
  const inFlight = async () => {
    const out = await new Deno.Command("squeue", { args: ["-h", "-o", "%j"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).split("\n").filter((name) => name.startsWith("wide:"));
  };
  let most = 0;
  for (const label of ["p", "q", "r"]) {
    await eventually(async () => (await inFlight()).includes(`wide:${label}`) ? true : undefined, 60_000, `job of ${label}`);
    for (let i = 0; i < 6; i++) {
      most = Math.max(most, (await inFlight()).length);
      await new Promise((r) => setTimeout(r, 250));
    }
    await Deno.remove(join(root, `hold-${label}`));
  }
  assertEquals((await child.output()).code, 0);
  assertEquals(most, 1, "jobs in flight at once");
  assertEquals(await counts(root), { p: 1, q: 1, r: 1 });
});

Deno.test("slurm executor: a step over its time limit is reported as TIMEOUT (about a minute: Slurm limits are whole minutes)", async () => {
  await localCluster();
  const root = await project();
  await Deno.writeTextFile(join(root, "hold-held"), "");
  const r = await runCli(root, ["pipeline", "held", ...slurmArgs]);
  assertEquals(r.code, 1, r.stdout + r.stderr);
  const lock = await readLock(root, "held");
  assertEquals([lock.steps.h.place.state, lock.steps.h.place.reason], ["TIMEOUT", "TimeLimit"]);
  assert(/^Slurm job \d+ TIMEOUT on \S+: reached its time limit of 00:01:00 \(reason TimeLimit\)/.test(lock.steps.h.failure.message), lock.steps.h.failure.message);
  assertEquals(lock.steps.h.failure.kind, "crashed");
});
