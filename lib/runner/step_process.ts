/**
 * Runs one step in a child process (`deno run` on `step_child.ts`, with the runner's own
 * permissions and deno.json) and relays its log and progress messages. Aborting sends `abort`,
 * then SIGKILL after a grace period.
 *
 * @example
 * ```ts ignore
 * import { runStepProcess } from "./step_process.ts";
 * import type { StepJob } from "./step_protocol.ts";
 * async function example(job: StepJob, signal: AbortSignal) {
 *   const result = await runStepProcess(job, { onMessage: (m) => console.error(m), signal });
 *   if (!result.ok) console.error(result.failure.kind, result.failure.message);
 * }
 * ```
 * @module
 */
import { fromFileUrl, runnerConfigPath } from "./paths.ts";
import { type ChildMessage, parseChildLine, type StepFailure, type StepJob } from "./step_protocol.ts";

const childEntry = fromFileUrl(new URL("./step_child.ts", import.meta.url));
const permissionNames = ["read", "write", "env", "net", "ffi", "sys", "run", "import"] as const;

/** `--allow-*` flags for every permission this process holds without restriction. */
export function inheritedPermissionFlags(): string[] {
  const flags: string[] = [];
  for (const name of permissionNames) {
    try {
      if (Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted") flags.push(`--allow-${name}`);
    } catch {
      // an unknown permission name on this Deno version: nothing to pass on
    }
  }
  return flags;
}

/** How a step process ended: success, or a typed failure (see `step_protocol.ts`). */
export type StepProcessResult = { ok: true } | { ok: false; failure: StepFailure };

/** Options of {@link runStepProcess}. */
export interface StepProcessOptions {
  onMessage(message: ChildMessage): void;
  /** Lines the child wrote on stderr (Deno warnings, crashes). */
  onStderr?(line: string): void;
  signal?: AbortSignal;
  /** Milliseconds between `abort` and SIGKILL. */
  graceMs?: number;
}

async function forEachLine(stream: ReadableStream<Uint8Array>, fn: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      fn(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered) fn(buffered);
}

/** Runs `job` in a child process and resolves when it has exited. */
export async function runStepProcess(job: StepJob, options: StepProcessOptions): Promise<StepProcessResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--config", runnerConfigPath, ...inheritedPermissionFlags(), childEntry],
    cwd: job.root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(job) + "\n"));

  let result: StepProcessResult | null = null;
  const stderrTail: string[] = [];
  const stdoutDone = forEachLine(child.stdout, (line) => {
    const message = parseChildLine(line);
    if (message.type === "result") result = message.ok ? { ok: true } : { ok: false, failure: message.failure };
    else options.onMessage(message);
  });
  const stderrDone = forEachLine(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    options.onStderr?.(line);
  });

  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    writer.write(new TextEncoder().encode("abort\n")).catch(() => {});
    killTimer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, options.graceMs ?? 3000);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  const status = await child.status;
  await Promise.all([stdoutDone, stderrDone]);
  options.signal?.removeEventListener("abort", onAbort);
  clearTimeout(killTimer);
  await writer.close().catch(() => {});
  const final = result as StepProcessResult | null;
  if (final && (final.ok ? status.success : true)) return final;
  const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  const tail = stderrTail.filter((l) => l.trim()).slice(-5).join(" | ");
  const message = `the step process ${how} without reporting a result${tail ? `: ${tail}` : ""}`;
  return { ok: false, failure: { kind: options.signal?.aborted ? "aborted" : "crashed", message } };
}
