/**
 * Entry point of a step's child process (`deno run … step_child.ts`): reads the job from stdin,
 * builds the task context, runs the task and reports the result on stdout (see
 * `step_protocol.ts`). It exits as soon as its stdin closes, so a killed runner leaves no orphan
 * writing into the store. As a Slurm batch job it reads the job from `--job-file` instead and
 * stops on SIGTERM (see `slurm_executor.ts`).
 *
 * @example
 * ```ts
 * // started by step_process.ts; by hand:
 * // echo '{"stepId":"a",…}' | deno run -A lib/runner/step_child.ts
 * ```
 * @module
 */
import { join } from "node:path";
import { fileLookups, type Logger, type StepInput, type TaskContext, type TaskDefinition } from "../task.ts";
import { createPool } from "../pool/pool.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { initBackend } from "./backend_bridge.ts";
import type { ChildMessage, StepFailure, StepJob } from "./step_protocol.ts";

const encoder = new TextEncoder();

function send(message: ChildMessage): void {
  const bytes = encoder.encode(JSON.stringify(message) + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
}

/** A logger that sends every line to the runner and, when `logPath` is given, appends it to that file. */
function makeLogger(logPath: string | null): Logger & { close(): void; fileOnly(message: string): void } {
  const file = logPath === null ? null : Deno.openSync(logPath, { append: true, create: true });
  const toFile = (level: string, message: string) =>
    file?.writeSync(encoder.encode(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`));
  const write = (level: "info" | "warn" | "debug", message: string) => {
    toFile(level, message);
    send({ type: "log", level, message });
  };
  return {
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    debug: (m) => write("debug", m),
    /** For details (stack traces) that belong in step.log but not on the console. */
    fileOnly: (m) => toFile("error", m),
    close: () => file?.close(),
  };
}

/** Reports a failure of `kind` and exits (after a bounded wait for `cleanup`). */
async function fail(kind: StepFailure["kind"], e: unknown, log: ReturnType<typeof makeLogger> | null, cleanup?: Promise<unknown>): Promise<never> {
  const err = e as Error;
  try {
    log?.fileOnly(`failed (${kind}): ${err?.stack ?? String(e)}`);
    log?.close();
  } catch {
    // the log is best effort once the step has failed
  }
  send({ type: "result", ok: false, failure: { kind, message: err?.message ?? String(e) } });
  if (cleanup) await Promise.race([cleanup, new Promise((r) => setTimeout(r, 1000))]);
  Deno.exit(1);
}

function findInput(inputs: StepInput[], name: string): StepInput {
  const matches = inputs.filter((i) => i.task === name || i.id === name);
  if (matches.length === 1) return matches[0];
  const have = inputs.map((i) => `${i.id} (${i.task})`).join(", ") || "none";
  throw new Error(`Cannot find input '${name}': expected exactly one upstream step with that task or id, found ${matches.length} (inputs: ${have})`);
}

/**
 * The job and its cancellation: from stdin (a local child: "abort" cancels politely, end of input
 * means the runner is gone), or with `--job-file <path>` from a file (a batch job on a cluster
 * node: SIGTERM, which `scancel` and a time limit send, cancels politely; the output folder is
 * emptied first, since a requeued job starts again in the folder of its earlier attempt).
 */
async function readJob(controller: AbortController): Promise<StepJob> {
  const fileFlag = Deno.args.indexOf("--job-file");
  if (fileFlag >= 0) {
    const job = JSON.parse(await Deno.readTextFile(Deno.args[fileFlag + 1])) as StepJob;
    Deno.addSignalListener("SIGTERM", () => controller.abort(new Error("step cancelled (SIGTERM: scancel, time limit or preemption)")));
    if (job.phase !== "afterRun") {
      await Deno.remove(job.outDir, { recursive: true }).catch(() => {});
      await Deno.mkdir(job.outDir, { recursive: true });
    }
    return job;
  }
  const lines = stdinLines();
  const first = await lines.next();
  if (first.done) Deno.exit(3);
  (async () => {
    for await (const line of lines) if (line.trim() === "abort") controller.abort(new Error("step aborted by the runner"));
    Deno.exit(137);
  })();
  return JSON.parse(first.value) as StepJob;
}

async function main(): Promise<void> {
  const controller = new AbortController();
  const job = await readJob(controller);

  const log = makeLogger(job.phase === "afterRun" ? null : join(job.outDir, "step.log"));
  const format = (args: unknown[]) => args.map((a) => (typeof a === "string" ? a : Deno.inspect(a))).join(" ");
  console.log = console.info = (...args: unknown[]) => log.info(format(args));
  console.warn = console.error = (...args: unknown[]) => log.warn(format(args));
  console.debug = (...args: unknown[]) => log.debug(format(args));

  // The backend first: a task module may create tensors when it is imported.
  if (job.phase !== "afterRun") {
    try {
      if (job.backendError !== null) throw new Error(job.backendError);
      if (job.backend !== null) await initBackend(job.backend);
    } catch (e) {
      return await fail("backend", e, log);
    }
  }
  let task: TaskDefinition;
  try {
    task = (await import(job.taskUrl)).default as TaskDefinition;
  } catch (e) {
    return await fail("load", e, log);
  }
  if (job.phase === "afterRun") {
    try {
      await task.afterRun?.({
        config: job.config,
        pipeline: job.pipeline,
        root: job.root,
        lockFile: join(job.root, "outputs", job.pipeline, "pipeline.lock.json"),
        outDir: job.outDir,
        log,
      });
    } catch (e) {
      return await fail(controller.signal.aborted ? "aborted" : "task", e, log);
    }
    log.close();
    send({ type: "result", ok: true });
    Deno.exit(0);
  }

  const pool = createPool({ threads: job.poolThreads, signal: controller.signal });
  let lastProgress = 0;
  try {
    const ctx: TaskContext<Record<string, unknown>> = {
      config: job.config,
      inputs: job.inputs,
      input: (name) => findInput(job.inputs, name),
      ...fileLookups(job.inputs),
      outDir: job.outDir,
      resumeDir: job.resumeDir,
      pipeline: job.pipeline,
      log,
      progress: {
        update(done, total, label) {
          const now = performance.now();
          if (done < total && now - lastProgress < 200) return;
          lastProgress = now;
          send({ type: "progress", done, total, label });
        },
      },
      get seed(): number {
        if (job.seed === null) {
          throw new Error(`Task '${task.name}' declares usesSeed: false but read ctx.seed; remove the declaration if its results depend on the seed`);
        }
        return job.seed;
      },
      signal: controller.signal,
      pool,
      backend: job.backend ?? "none",
      writeMetrics: (metrics) => writeJsonAtomic(join(job.outDir, "metrics.json"), metrics),
    };
    await task.run(ctx);
    if (controller.signal.aborted) throw controller.signal.reason;
    await pool.close();
    log.close();
    send({ type: "result", ok: true });
    Deno.exit(0);
  } catch (e) {
    return await fail(controller.signal.aborted ? "aborted" : "task", e, log, pool.close());
  }
}

if (import.meta.main) await main();
