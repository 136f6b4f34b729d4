/**
 * A task declared `usesSeed: false` keeps the seed out of its fingerprint: changing the
 * pipeline seed re-runs only the seeded steps, and such a task that reads `ctx.seed` anyway fails
 * with a message that says so.
 */
import { assert, assertEquals } from "../assert.ts";
import { countTask, counts, makeProject, ranBetween, runCli } from "./rig.ts";

const taskContractUrl = new URL("../../lib/task.ts", import.meta.url).href;

/** A seed-free fake task that counts its runs like the rig's, optionally reading ctx.seed. */
function seedFreeTask(name: string): string {
  return `import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "${taskContractUrl}";
export default defineTask({
  name: "${name}",
  description: "fake seed-free task",
  usesSeed: false,
  config: z.object({ label: z.string(), read_seed: z.boolean().default(false) }),
  async run(ctx) {
    await Deno.writeTextFile(join(import.meta.dirname!, "..", "counts.log"), ctx.config.label + "\\n", { append: true });
    const seed = ctx.config.read_seed ? ctx.seed : "none";
    await Deno.writeTextFile(join(ctx.outDir, "out.txt"), ctx.config.label + ":" + seed);
  },
});
`;
}

Deno.test("a seed-free step stays cached when the seed changes; its seeded downstream re-runs", async () => {
  const root = await makeProject({
    "pipelines/p.yaml": "seed: 1\nsteps:\n  data: { task: plain, config: { label: data } }\n  train: { task: count, needs: [data], config: { label: train } }\n",
    "tasks/plain.ts": seedFreeTask("plain"),
    "tasks/count.ts": countTask("count"),
  });
  try {
    const first = await runCli(root, ["pipeline", "p"]);
    assertEquals(first.code, 0, first.stderr);
    const before = await counts(root);
    const status = await runCli(root, ["status", "p", "--seed", "2"]);
    assert(status.stdout.includes("seed changed 1 → 2") && !/data[^\n]*seed changed/.test(status.stdout), status.stdout);
    const reseeded = await runCli(root, ["pipeline", "p", "--seed", "2"]);
    assertEquals(reseeded.code, 0, reseeded.stderr);
    assertEquals(ranBetween(before, await counts(root)), ["train"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--seed says which steps keep a seed of their own, and how to change it", async () => {
  const root = await makeProject({
    "pipelines/p.yaml": "seed: 1\nsteps:\n  data: { task: plain, config: { label: data } }\n  train: { task: count, needs: [data], seed: 7, config: { label: train } }\n" +
      "  eval: { task: count, needs: [train], config: { label: eval } }\n",
    "tasks/plain.ts": seedFreeTask("plain"),
    "tasks/count.ts": countTask("count"),
  });
  try {
    const run = await runCli(root, ["pipeline", "p", "--seed", "2"]);
    assertEquals(run.code, 0, run.stderr);
    const all = run.stdout + run.stderr;
    assert(all.includes("train keeps seed 7: its 'seed:' in pipelines/p.yaml wins over --seed 2; edit steps.train.seed there"), all);
    // eval follows --seed and data uses none: no note for either
    assert(!/(eval|data) keeps seed/.test(all), all);
    const status = await runCli(root, ["status", "p", "--seed", "2"]);
    assert(status.stderr.includes("note: train keeps seed 7"), status.stderr);
    const plain = await runCli(root, ["pipeline", "p"]);
    assert(!(plain.stdout + plain.stderr).includes("keeps seed"), "no note without --seed");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a task declared usesSeed: false that reads ctx.seed fails, saying so", async () => {
  const root = await makeProject({
    "pipelines/p.yaml": "steps:\n  data: { task: plain, config: { label: data, read_seed: true } }\n",
    "tasks/plain.ts": seedFreeTask("plain"),
  });
  try {
    const run = await runCli(root, ["pipeline", "p"]);
    assertEquals(run.code, 1, run.stdout);
    assert((run.stdout + run.stderr).includes("declares usesSeed: false but read ctx.seed"), run.stdout + run.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
