/**
 * A one-node Slurm cluster on this machine, from Debian's `munge`, `slurmctld` and `slurmd`
 * (`deno task slurm:local`): writes `slurm.conf` and `cgroup.conf` for this host, starts
 * `munged`, `slurmctld` and `slurmd` when they are not already running, and waits until `sinfo`
 * shows the node idle. Running it again with everything up changes nothing.
 *
 * Needs: root (slurmd runs jobs as their submitter, and the daemons write under /etc, /run and
 * /var/lib), and the Debian packages `munge slurmctld slurmd slurm-client`. The config goes to
 * `/etc/slurm/slurm.conf` so that `sinfo`, `sbatch` and the runner's `--executor slurm` find it
 * without `SLURM_CONF`; a `slurm.conf` written by anything else is never overwritten (point
 * the runner at that cluster instead). State, spool and logs live in `/var/lib/ebm-slurm-local`.
 *
 * The node offers the machine's CPUs and memory (from `slurmd -C`, less 1 GiB for the daemons);
 * processes are tracked by `proctrack/linuxproc` (no cgroups needed) and memory is enforced by
 * polling (`jobacct_gather/linux` with `OverMemoryKill`). Finished jobs stay visible to
 * `scontrol show job` for an hour (`MinJobAge`), so no accounting database is needed.
 *
 * @example
 * ```ts
 * import { startLocalCluster } from "./local_cluster.ts";
 * const cluster = await startLocalCluster({ log: (line) => console.error(line) });
 * console.log(cluster.node, cluster.partition); // "vm", "debug"
 * ```
 * @module
 */
import { dirname } from "node:path";

/** Marks a config file as ours (the only kind this module rewrites). */
export const LOCAL_MARKER = "# Written by ebm-anatomy-pipelines `deno task slurm:local` (lib/slurm/local_cluster.ts).";
/** Where the local cluster's config goes (Slurm's default location). */
export const LOCAL_SLURM_CONF = "/etc/slurm/slurm.conf";
/** State, spool, pid and log files of the local cluster. */
export const LOCAL_STATE_DIR = "/var/lib/ebm-slurm-local";
/** The local cluster's only partition. */
export const LOCAL_PARTITION = "debug";

/** The Debian packages the local cluster needs. */
export const LOCAL_PACKAGES = ["munge", "slurmctld", "slurmd", "slurm-client"] as const;

/** What {@link startLocalCluster} found or started. */
export interface LocalCluster {
  node: string;
  partition: string;
  cpus: number;
  memoryMb: number;
  conf: string;
  /** The daemons this call started (empty when all were already up). */
  started: string[];
}

/** Options of {@link startLocalCluster}. */
export interface LocalClusterOptions {
  /** Progress lines. */
  log?: (line: string) => void;
  /** Seconds to wait for the node to become idle. */
  timeoutSeconds?: number;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<RunResult> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null", env }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { code: 127, stdout: "", stderr: `${cmd}: not found` };
    throw e;
  }
}

async function which(cmd: string): Promise<boolean> {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"]) {
    try {
      await Deno.stat(`${dir}/${cmd}`);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Throws, naming the Debian packages to install, when a program of the local cluster is missing. */
export async function checkLocalPackages(): Promise<void> {
  const programs: Record<string, string> = { munged: "munge", slurmctld: "slurmctld", slurmd: "slurmd", sinfo: "slurm-client", sbatch: "slurm-client" };
  const missing = new Set<string>();
  for (const [program, pkg] of Object.entries(programs)) if (!(await which(program))) missing.add(pkg);
  if (missing.size > 0) {
    throw new Error(`Cannot start the local Slurm cluster: ${[...missing].join(", ")} not installed ` +
      `(apt-get install -y --no-install-recommends ${LOCAL_PACKAGES.join(" ")})`);
  }
}

/** The command name of process `pid` (`ps`; reading /proc needs --allow-all in Deno), or null. */
async function processName(pid: number): Promise<string | null> {
  const r = await run("ps", ["-p", String(pid), "-o", "comm="]);
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

async function pidFromFile(path: string): Promise<number | null> {
  try {
    const pid = Number((await Deno.readTextFile(path)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid of the running daemon `name` from its pid file, or null when it is not running. */
async function daemonPid(name: string): Promise<number | null> {
  const pid = await pidFromFile(`${LOCAL_STATE_DIR}/${name}.pid`);
  if (pid === null) return null;
  const comm = await processName(pid);
  return comm !== null && comm.startsWith(name) ? pid : null;
}

/**
 * Whether `/proc/<pid>/exe` (as `readlink` prints it) names an executable that is gone — a daemon
 * left running across a package purge or upgrade, whose plugins (auth_munge among them) no longer
 * load: it must be restarted, not trusted.
 *
 * @example
 * ```ts
 * isDeletedExecutable("/usr/sbin/slurmd-wlm (deleted)"); // true
 * isDeletedExecutable("/usr/sbin/slurmd-wlm"); // false
 * ```
 */
export function isDeletedExecutable(link: string): boolean {
  return link.trim().endsWith(" (deleted)");
}

/** Whether process `pid` runs an executable that has since been removed (`readlink`; see {@link isDeletedExecutable}). */
async function executableRemoved(pid: number): Promise<boolean> {
  const r = await run("readlink", [`/proc/${pid}/exe`]);
  return r.code === 0 && isDeletedExecutable(r.stdout);
}

async function hostInfo(): Promise<{ node: string; cpus: number; memoryMb: number }> {
  const r = await run("slurmd", ["-C"]);
  if (r.code !== 0) throw new Error(`Cannot read this host's resources: slurmd -C exited ${r.code}: ${r.stderr.trim()}`);
  const node = /NodeName=(\S+)/.exec(r.stdout)?.[1];
  const cpus = Number(/CPUs=(\d+)/.exec(r.stdout)?.[1]);
  const memory = Number(/RealMemory=(\d+)/.exec(r.stdout)?.[1]);
  if (!node || !(cpus > 0) || !(memory > 0)) throw new Error(`Cannot read this host's resources from slurmd -C: ${r.stdout.trim()}`);
  return { node, cpus, memoryMb: Math.max(512, memory - 1024) };
}

/** The slurm.conf of the local cluster for a host. */
export function localSlurmConf(host: { node: string; cpus: number; memoryMb: number }): string {
  const s = LOCAL_STATE_DIR;
  return `${LOCAL_MARKER}
# A one-node cluster for trying and testing the runner's --executor slurm; not for production.
ClusterName=ebm-local
SlurmctldHost=${host.node}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=${s}/state
SlurmdSpoolDir=${s}/spool
SlurmctldPidFile=${s}/slurmctld.pid
SlurmdPidFile=${s}/slurmd.pid
SlurmctldLogFile=${s}/slurmctld.log
SlurmdLogFile=${s}/slurmd.log
# No cgroups needed: processes are tracked by their parent ids, memory by polling.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
# Finished jobs stay in scontrol show job for an hour; a restarted node comes back by itself.
MinJobAge=3600
ReturnToService=2
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=${host.node} CPUs=${host.cpus} RealMemory=${host.memoryMb} State=UNKNOWN
PartitionName=${LOCAL_PARTITION} Nodes=${host.node} Default=YES MaxTime=INFINITE State=UP
`;
}

/** cgroup.conf: unused by this config's plugins, written so that slurmd does not probe for one. */
export const localCgroupConf = `${LOCAL_MARKER}
CgroupPlugin=autodetect
ConstrainCores=no
ConstrainRAMSpace=no
`;

async function writeOurs(path: string, text: string): Promise<boolean> {
  let current: string | null = null;
  try {
    current = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (current === text) return false;
  if (current !== null && !current.startsWith(LOCAL_MARKER)) {
    throw new Error(`Cannot set up the local Slurm cluster: ${path} exists and was not written by deno task slurm:local; ` +
      `this machine already has a Slurm configuration, so point the runner at that cluster instead (README "Running steps on Slurm")`);
  }
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
  return true;
}

async function mungeWorks(): Promise<boolean> {
  const cred = await run("munge", ["-n"]);
  if (cred.code !== 0) return false;
  const child = new Deno.Command("unmunge", { stdin: "piped", stdout: "null", stderr: "null" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(cred.stdout));
  await w.close();
  return (await child.status).success;
}

async function ensureMunge(log: (line: string) => void, started: string[]): Promise<void> {
  if (await mungeWorks()) return;
  try {
    await Deno.stat("/etc/munge/munge.key");
  } catch {
    const k = await run("mungekey", ["--create"]);
    if (k.code !== 0) throw new Error(`Cannot create /etc/munge/munge.key: ${k.stderr.trim()}`);
    await run("chown", ["munge:munge", "/etc/munge/munge.key"]);
  }
  for (const dir of ["/run/munge", "/var/log/munge", "/var/lib/munge"]) {
    await Deno.mkdir(dir, { recursive: true });
    await run("chown", ["munge:munge", dir]);
  }
  log("starting munged");
  const r = await run("runuser", ["-u", "munge", "--", "/usr/sbin/munged"]);
  if (r.code !== 0) throw new Error(`Cannot start munged: exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  started.push("munged");
  for (let i = 0; i < 50; i++) {
    if (await mungeWorks()) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("Cannot start munged: it started but `munge -n | unmunge` still fails (see /var/log/munge/munged.log)");
}

async function tail(path: string, lines = 8): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function startDaemon(name: "slurmctld" | "slurmd", log: (line: string) => void, started: string[], restart: boolean): Promise<void> {
  const pid = await daemonPid(name);
  if (pid !== null) {
    const stale = await executableRemoved(pid);
    if (!restart && !stale) return;
    log(`stopping ${name} (pid ${pid}): ${stale ? "its executable was removed since it started (a package purge or upgrade)" : "its config changed"}`);
    Deno.kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && (await processName(pid)) !== null; i++) await new Promise((res) => setTimeout(res, 100));
  }
  log(`starting ${name}`);
  const args = name === "slurmd" ? ["-f", LOCAL_SLURM_CONF] : ["-f", LOCAL_SLURM_CONF, "-R"];
  const r = await run(name, args);
  if (r.code !== 0) {
    throw new Error(`Cannot start ${name}: exited ${r.code}: ${(r.stderr || r.stdout).trim()}\n${await tail(`${LOCAL_STATE_DIR}/${name}.log`)}`);
  }
  started.push(name);
}

/** State of the local node as `sinfo` reports it ("idle", "mix", "down*", …), or null. */
async function nodeState(node: string): Promise<string | null> {
  const r = await run("sinfo", ["-h", "-N", "-n", node, "-o", "%T"], { SLURM_CONF: LOCAL_SLURM_CONF });
  if (r.code !== 0) return null;
  return r.stdout.trim().split("\n")[0] || null;
}

/** Starts the local cluster when needed (see the module doc) and resolves when its node takes jobs. */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const log = options.log ?? (() => {});
  await checkLocalPackages();
  if (Deno.uid() !== 0) throw new Error(`Cannot start the local Slurm cluster: it needs root (slurmd runs jobs as their submitter); running as uid ${Deno.uid()}`);
  const host = await hostInfo();
  for (const sub of ["state", "spool"]) await Deno.mkdir(`${LOCAL_STATE_DIR}/${sub}`, { recursive: true });
  const confChanged = await writeOurs(LOCAL_SLURM_CONF, localSlurmConf(host));
  const cgroupChanged = await writeOurs(`${dirname(LOCAL_SLURM_CONF)}/cgroup.conf`, localCgroupConf);
  if (confChanged) log(`wrote ${LOCAL_SLURM_CONF} (node ${host.node}: ${host.cpus} CPUs, ${host.memoryMb} MB)`);
  const started: string[] = [];
  await ensureMunge(log, started);
  await startDaemon("slurmctld", log, started, confChanged || cgroupChanged);
  await startDaemon("slurmd", log, started, confChanged || cgroupChanged);
  const deadline = Date.now() + (options.timeoutSeconds ?? 60) * 1000;
  let state: string | null = null;
  let resumed = false;
  while (Date.now() < deadline) {
    state = await nodeState(host.node);
    if (state && /^(idle|mixed|allocated|completing)/.test(state)) {
      return { node: host.node, partition: LOCAL_PARTITION, cpus: host.cpus, memoryMb: host.memoryMb, conf: LOCAL_SLURM_CONF, started };
    }
    if (state && /^(down|drain)/.test(state) && !state.endsWith("*") && !resumed) {
      // e.g. left down by an earlier unclean stop: this node is ours, so put it back.
      await run("scontrol", ["update", `NodeName=${host.node}`, "State=RESUME"], { SLURM_CONF: LOCAL_SLURM_CONF });
      resumed = true;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`Cannot start the local Slurm cluster: node ${host.node} is '${state ?? "unknown"}' after ${options.timeoutSeconds ?? 60} s, not idle\n` +
    `slurmctld.log:\n${await tail(`${LOCAL_STATE_DIR}/slurmctld.log`)}\nslurmd.log:\n${await tail(`${LOCAL_STATE_DIR}/slurmd.log`)}`);
}

if (import.meta.main) {
  const t0 = performance.now();
  try {
    const c = await startLocalCluster({ log: (line) => console.error(line), timeoutSeconds: 90 });
    console.log(`local Slurm cluster up: node ${c.node} (${c.cpus} CPUs, ${c.memoryMb} MB), partition ${c.partition}, config ${c.conf}` +
      (c.started.length ? ` (started ${c.started.join(", ")} in ${((performance.now() - t0) / 1000).toFixed(1)} s)` : " (already running)"));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
