/**
 * Test rig for the runner: builds small temporary projects (own `tasks/`, `pipelines/`,
 * `configs/`, `lib/`) whose fake tasks count their invocations in `<root>/counts.log` (outside
 * `outputs/`), and runs the real CLI against them as a subprocess with `--root`.
 *
 * @example
 * ```ts
 * import { countTask, counts, makeProject, runCli } from "./rig.ts";
 * const root = await makeProject({ "pipelines/p.yaml": "steps: { a: { task: count, config: { label: a } } }", "tasks/count.ts": countTask("count") });
 * const r = await runCli(root, ["pipeline", "p"]);
 * (await counts(root)).a; // 1
 * ```
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** The real repository root. */
export const repoRoot: string = join(here, "..", "..");
const cliPath = join(repoRoot, "lib", "runner", "cli.ts");
const taskContractUrl = new URL("../../lib/task.ts", import.meta.url).href;

/** Writes `files` (relative path → content) into a new temporary directory; returns its path. */
export async function makeProject(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "runner-test-" });
  await writeFiles(root, files);
  return root;
}

/** Writes (or overwrites) files in a project. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, path)), { recursive: true });
    await Deno.writeTextFile(join(root, path), content);
  }
}

/**
 * Source of a fake task `name`: appends its `label` to `counts.log`, writes `out.txt` (label,
 * value, what `imports` modules return, upstream contents). While `<root>/hold-<label>` exists it
 * writes `partial.txt` and heartbeats to `heartbeat-<label>.log` every 50 ms (for kill tests).
 * With `fail: true` it throws. `imports` are relative module paths exporting `tag(): string`.
 */
export function countTask(name: string, imports: string[] = []): string {
  const importLines = imports.map((p, i) => `import { tag as tag${i} } from "${p}";`).join("\n");
  const tags = imports.map((_, i) => `tag${i}()`).join(" + ") || '""';
  return `import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "${taskContractUrl}";
${importLines}

// Counts module loads, to prove a no-op re-run plans without importing task modules.
await Deno.writeTextFile(join(import.meta.dirname!, "..", "imports.log"), "${name}\\n", { append: true });

export default defineTask({
  name: "${name}",
  description: "fake task for runner tests",
  config: z.object({
    label: z.string(),
    value: z.number().positive().default(1),
    fail: z.boolean().default(false),
    external: z.string().nullable().default(null),
  }),
  externalInputs: (c) => (c.external ? [c.external] : []),
  async run(ctx) {
    const root = join(import.meta.dirname!, "..");
    await Deno.writeTextFile(join(root, "counts.log"), ctx.config.label + "\\n", { append: true });
    const hold = join(root, "hold-" + ctx.config.label);
    while (await Deno.stat(hold).then(() => true, () => false)) {
      await Deno.writeTextFile(join(ctx.outDir, "partial.txt"), "partial\\n", { append: true });
      await Deno.writeTextFile(join(root, "heartbeat-" + ctx.config.label + ".log"), "beat\\n", { append: true });
      await new Promise((r) => setTimeout(r, 50));
    }
    if (ctx.config.fail) throw new Error("fake failure in " + ctx.config.label);
    const upstream = [];
    for (const input of ctx.inputs) upstream.push(await Deno.readTextFile(join(input.dir, "out.txt")));
    ctx.log.info("label " + ctx.config.label + " seed " + ctx.seed);
    await Deno.writeTextFile(join(ctx.outDir, "out.txt"), ctx.config.label + ":" + ctx.config.value + ":" + (${tags}) + ":" + ctx.seed + "[" + upstream.join("|") + "]");
    await ctx.writeMetrics({ value: ctx.config.value });
  },
});
`;
}

/** Result of a CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Arguments that run the real CLI with the repository's deno.json and all permissions. */
export function cliCommand(root: string, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", join(repoRoot, "deno.json"), cliPath, ...args, "--root", root],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
}

/** Runs the CLI to completion. */
export async function runCli(root: string, args: string[]): Promise<CliResult> {
  const output = await cliCommand(root, args).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** Lines of `imports.log`: one per load of a fake task module (parent or step process). */
export async function importCount(root: string): Promise<number> {
  return (await Deno.readTextFile(join(root, "imports.log")).catch(() => "")).split("\n").filter(Boolean).length;
}

/** How many times each label ran (from `counts.log`). */
export async function counts(root: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let text = "";
  try {
    text = await Deno.readTextFile(join(root, "counts.log"));
  } catch {
    return out;
  }
  for (const line of text.split("\n").filter(Boolean)) out[line] = (out[line] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Labels that ran between two `counts` snapshots, sorted. */
export function ranBetween(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after).filter((k) => (after[k] ?? 0) > (before[k] ?? 0)).sort();
}

/** Polls `check` every 50 ms until it holds or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
