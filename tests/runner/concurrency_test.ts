/** `--jobs`: independent steps run at the same time up to the limit (proved with held fake steps). */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { cliCommand, countTask, makeProject, waitFor } from "./rig.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

async function runHeld(root: string, jobs: number, labels: [string, string]): Promise<boolean> {
  for (const l of labels) await Deno.writeTextFile(join(root, `hold-${l}`), "");
  const pipeline = `steps:\n  ${labels[0]}: { task: count, config: { label: ${labels[0]} } }\n  ${labels[1]}: { task: count, config: { label: ${labels[1]} } }\n`;
  await Deno.writeTextFile(join(root, `pipelines/${labels[0]}.yaml`), pipeline);
  const child = cliCommand(root, ["pipeline", labels[0], "--jobs", String(jobs)]).spawn();
  const beat = (l: string) => exists(join(root, `heartbeat-${l}.log`));
  await waitFor(async () => (await beat(labels[0])) || (await beat(labels[1])), 20_000, "a step to start");
  // Give a second step time to start if the limit allows it.
  await new Promise((r) => setTimeout(r, 1200));
  const both = (await beat(labels[0])) && (await beat(labels[1]));
  for (const l of labels) await Deno.remove(join(root, `hold-${l}`));
  const status = await child.output();
  assertEquals(status.code, 0, new TextDecoder().decode(status.stderr));
  return both;
}

Deno.test("--jobs 2 runs two independent steps at once; --jobs 1 runs one at a time", async () => {
  const root = await makeProject({ "tasks/count.ts": countTask("count"), "pipelines/.keep": "" });
  try {
    assertEquals(await runHeld(root, 2, ["x2", "y2"]), true, "with --jobs 2 both steps were running together");
    assertEquals(await runHeld(root, 1, ["x1", "y1"]), false, "with --jobs 1 only one step was running");
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
