/**
 * Benchmark of the runner's no-op re-run: builds a temporary project with a 6-step pipeline whose
 * outputs total 1 GB, runs it once (cold), then times the no-op re-run through the real CLI
 * (subprocess, wall clock, median of 3) and prints it next to references measured in the same
 * command: the startup of a trivial `deno run` and the time to stat every stored file.
 *
 * @example
 * ```sh
 * deno task bench:runner            # 1 GB total
 * deno task bench:runner --mb 120   # smaller, for a quick look
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listFiles } from "../lib/runner/external_inputs.ts";
import { benchFlags, flag } from "./cli_args.ts";

benchFlags("Usage: deno task bench:runner [--mb 1024]  (total size of the pipeline's outputs, MB)", ["mb"]);
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const totalMb = Number(flag("mb", "1024"));
if (!Number.isFinite(totalMb) || totalMb <= 0) throw new Error(`Cannot read --mb: expected a positive number, got '${flag("mb", "")}'`);
const steps = 6;
const perStepMb = Math.ceil(totalMb / steps);

const taskSource = `import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "${new URL("../lib/task.ts", import.meta.url).href}";
export default defineTask({
  name: "blob",
  description: "writes size_mb MB of deterministic bytes",
  config: z.object({ size_mb: z.number().positive(), tag: z.string() }),
  async run(ctx) {
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + ctx.config.tag.length) & 255;
    using file = await Deno.open(join(ctx.outDir, "blob.bin"), { write: true, create: true });
    for (let i = 0; i < ctx.config.size_mb; i++) {
      await file.write(block);
      ctx.progress.update(i + 1, ctx.config.size_mb, "MB");
    }
    await ctx.writeMetrics({ mb: ctx.config.size_mb });
  },
});
`;

function pipelineYaml(): string {
  const lines = ["steps:"];
  for (let i = 0; i < steps; i++) {
    const needs = i === 0 ? "" : `, needs: [s${i - 1}${i >= 2 ? `, s${i - 2}` : ""}]`;
    lines.push(`  s${i}: { task: blob, config: { size_mb: ${perStepMb}, tag: s${i} }${needs} }`);
  }
  return lines.join("\n") + "\n";
}

async function run(args: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).output();
  const seconds = (performance.now() - t0) / 1000;
  if (!out.success) throw new Error(`Benchmark command failed (${args.join(" ")}): ${new TextDecoder().decode(out.stderr)}`);
  return seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const root = await Deno.makeTempDir({ prefix: "runner-bench-" });
try {
  await Deno.mkdir(join(root, "tasks"));
  await Deno.mkdir(join(root, "pipelines"));
  await Deno.writeTextFile(join(root, "tasks/blob.ts"), taskSource);
  await Deno.writeTextFile(join(root, "pipelines/bench.yaml"), pipelineYaml());
  const cli = ["run", "-A", "--quiet", "--config", join(repoRoot, "deno.json"), join(repoRoot, "lib/runner/cli.ts"), "pipeline", "bench", "--root", root];
  console.log(`building ${steps} steps × ${perStepMb} MB = ${(steps * perStepMb / 1024).toFixed(2)} GB in ${root} …`);
  const cold = await run(cli);
  console.log(`cold run (writes and hashes everything): ${cold.toFixed(2)} s`);

  const noop: number[] = [];
  for (let i = 0; i < 3; i++) noop.push(await run(cli));
  const startup: number[] = [];
  for (let i = 0; i < 3; i++) startup.push(await run(["eval", "0"]));
  const files = await listFiles(join(root, "outputs/.cache"));
  const statTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    for (const f of files) await Deno.stat(f);
    statTimes.push((performance.now() - t0) / 1000);
  }
  let bytes = 0;
  for (const f of files) bytes += (await Deno.stat(f)).size;

  const m = median(noop);
  console.log(`cached outputs: ${(bytes / 2 ** 30).toFixed(2)} GiB in ${files.length} files`);
  console.log(`no-op re-run (CLI subprocess, median of 3): ${m.toFixed(3)} s   [${noop.map((s) => s.toFixed(3)).join(", ")}]`);
  console.log(`reference: trivial 'deno eval 0' subprocess: ${median(startup).toFixed(3)} s (ratio ${(m / median(startup)).toFixed(2)}×)`);
  console.log(`reference: stat of every stored file in-process: ${(median(statTimes) * 1000).toFixed(2)} ms`);
  console.log(`goal: no-op re-run < 1 s → ${m < 1 ? "met" : "NOT met"}`);
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
