// The Slurm client against the local one-node cluster (started by the test itself).
import { assert, assertEquals } from "../assert.ts";
import {
  cancelJobs, describeJobEnd, jobInfo, jobInfoFromFields, parseScontrolLine, requeueJob, sbatchArgs, submitJob, waitForJob,
} from "../../lib/slurm/client.ts";
import { eventually, localCluster } from "./cluster.ts";

const tmp = await Deno.makeTempDir({ prefix: "slurm-client-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
const script = (body: string) => `#!/bin/bash\nset -e\n${body}\n`;

Deno.test("scontrol -o lines parse into state, reason, exit code, node and restarts", () => {
  const line = "JobId=7 JobName=a b UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) Requeue=0 Restarts=2 " +
    "ExitCode=0:15 RunTime=00:01:03 TimeLimit=00:01:00 NodeList=vm BatchHost=vm TRES=cpu=1,mem=100M,node=1 Command=/bin/sh x y";
  const f = parseScontrolLine(line);
  assertEquals(f.JobName, "a b");
  assertEquals(f.Command, "/bin/sh x y");
  const info = jobInfoFromFields("7", f);
  assertEquals([info.state, info.reason, info.exitCode, info.nodes, info.restarts, info.memory], ["TIMEOUT", "TimeLimit", "0:15", "vm", 2, "100M"]);
});

Deno.test("job end states map to messages with Slurm's state and reason (OUT_OF_MEMORY by the mapping alone)", () => {
  const base = { id: "9", reason: "None", exitCode: "0:0", nodes: "n1", timeLimit: "00:10:00", runTime: "", restarts: 0, memory: "2G" };
  const msg = (state: string, reason = "None") => describeJobEnd({ ...base, state, reason });
  assertEquals(msg("OUT_OF_MEMORY", "OutOfMemory"), "Slurm job 9 OUT_OF_MEMORY on n1: ran out of memory (limit 2G) (reason OutOfMemory); raise the step's memory in the executor config");
  assertEquals(msg("TIMEOUT", "TimeLimit"), "Slurm job 9 TIMEOUT on n1: reached its time limit of 00:10:00 (reason TimeLimit); raise the step's time limit in the executor config");
  assert(msg("PREEMPTED").includes("preempted"), msg("PREEMPTED"));
  assert(msg("NODE_FAIL").includes("node failed"), msg("NODE_FAIL"));
  assert(msg("CANCELLED").startsWith("Slurm job 9 CANCELLED on n1: was cancelled"), msg("CANCELLED"));
  assert(msg("FAILED", "NonZeroExitCode").includes("exit code 0:0 (reason NonZeroExitCode)"), msg("FAILED"));
});

Deno.test("sbatch arguments carry partition, time, CPUs, memory, GPUs and requeue", () => {
  const args = sbatchArgs({ script: "", name: "s", output: "/o", partition: "gpu", time: "01:00:00", cpus: 4, memoryMb: 2048, gpus: 1, requeue: true });
  assertEquals(args, ["--parsable", "--job-name=s", "--output=/o", "--partition=gpu", "--time=01:00:00", "--cpus-per-task=4", "--mem=2048M", "--gres=gpu:1", "--requeue"]);
});

Deno.test("local cluster: a job runs, completes and its output file is written", async () => {
  const cluster = await localCluster();
  const out = `${tmp}/ok-%j.out`;
  const id = await submitJob({ script: script("echo hello from $SLURM_JOB_ID on $(hostname)"), name: "ok", output: out, cpus: 1, memoryMb: 100 });
  const info = await waitForJob(id, { pollMs: 250 });
  assertEquals(info.state, "COMPLETED", describeJobEnd(info));
  assertEquals(info.nodes, cluster.node);
  const text = await Deno.readTextFile(out.replace("%j", id));
  assert(text.includes(`hello from ${id}`), text);
});

Deno.test("local cluster: a failing job is FAILED with its exit code", async () => {
  await localCluster();
  const id = await submitJob({ script: script("echo about to fail >&2; exit 3"), name: "fail", output: `${tmp}/fail-%j.out`, memoryMb: 100 });
  const info = await waitForJob(id, { pollMs: 250 });
  assertEquals([info.state, info.exitCode], ["FAILED", "3:0"]);
  assert(describeJobEnd(info).includes("exit code 3:0"), describeJobEnd(info));
});

Deno.test("local cluster: a cancelled job is CANCELLED; a requeued one restarts", async () => {
  await localCluster();
  const a = await submitJob({ script: script("sleep 120"), name: "cancel", output: `${tmp}/c-%j.out`, memoryMb: 100 });
  const b = await submitJob({ script: script("echo run; sleep 120"), name: "requeue", output: `${tmp}/r-%j.out`, memoryMb: 100, requeue: true });
  await eventually(async () => (await jobInfo(b))?.state === "RUNNING" ? true : undefined, 30_000, "job b to run");
  await requeueJob(b);
  await eventually(async () => {
    const i = await jobInfo(b);
    return i && i.restarts >= 1 ? true : undefined;
  }, 30_000, "job b to restart");
  await cancelJobs([a, b]);
  const [ia, ib] = await Promise.all([waitForJob(a, { pollMs: 250 }), waitForJob(b, { pollMs: 250 })]);
  assertEquals([ia.state, ib.state], ["CANCELLED", "CANCELLED"]);
  assert(ib.restarts >= 1, `restarts ${ib.restarts}`);
});

Deno.test("local cluster: memory over --mem is killed by Slurm's polling (no cgroups here: FAILED, 'Exceeded job memory limit' in the log)", async () => {
  await localCluster();
  // About 400 MB, touched and held for 30 s against a 100 MB limit (Slurm samples memory every second).
  const hog = `'${Deno.execPath()}' eval 'const a = new Uint8Array(400e6).fill(1); await new Promise((r) => setTimeout(r, 30000)); console.log(a[0])'`;
  const id = await submitJob({ script: script(hog), name: "oom", output: `${tmp}/m-%j.out`, memoryMb: 100 });
  const info = await waitForJob(id, { pollMs: 250 });
  const log = await Deno.readTextFile(`${tmp}/m-${id}.out`);
  assert(info.state === "OUT_OF_MEMORY" || info.state === "FAILED" || info.state === "CANCELLED", describeJobEnd(info));
  assert(info.state === "OUT_OF_MEMORY" || log.includes("Exceeded job memory limit"), log);
});
