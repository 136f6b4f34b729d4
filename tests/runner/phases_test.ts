/**
 * The runner's seams (issue 15, item 3): it imports no plotting code; a task declares work for
 * after the run (`afterRun`), which runs in its own process once the lock file exists; step
 * failures cross the process boundary as typed values and land in the lock file with their kind.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { ModuleGraph } from "../../lib/runner/module_graph.ts";
import { countTask, makeProject, repoRoot, runCli } from "./rig.ts";

const taskContractUrl = new URL("../../lib/task.ts", import.meta.url).href;

Deno.test("the runner's code reaches no plotting module and no plotting package", async () => {
  const cache = await Deno.makeTempFile();
  try {
    const graph = await ModuleGraph.create(repoRoot, join(repoRoot, "deno.json"), cache);
    const { sources, npm } = await graph.closure(join(repoRoot, "lib/runner/cli.ts"));
    assert(Object.keys(sources).includes("lib/runner/executor.ts"), "the closure is the runner's");
    assertEquals(Object.keys(sources).filter((p) => p.startsWith("lib/plot/") || p.startsWith("tasks/")), []);
    for (const pkg of ["@observablehq/plot", "jsdom", "sharp", "@resvg/resvg-js"]) assert(!(pkg in npm), `the runner reaches ${pkg}`);
  } finally {
    await Deno.remove(cache);
  }
});

/** A task whose afterRun records the lock file's view of its own step (or throws when config.bad). */
const afterTask = `import { z } from "zod";
import { join } from "node:path";
import { defineTask } from "${taskContractUrl}";
export default defineTask({
  name: "after", description: "declares work after the run", usesSeed: false,
  config: z.object({ title: z.string(), bad: z.boolean().default(false) }),
  async run(ctx) { await Deno.writeTextFile(join(ctx.outDir, "out.txt"), ctx.config.title); },
  async afterRun(ctx) {
    if (ctx.config.bad) throw new Error("cannot finish " + ctx.config.title);
    const lock = JSON.parse(await Deno.readTextFile(ctx.lockFile));
    const mine = Object.values(lock.steps).find((s: any) => s.task === "after") as any;
    await Deno.writeTextFile(join(ctx.root, "after-" + ctx.pipeline + ".txt"), ctx.config.title + " " + mine.status + " " + (await Deno.readTextFile(join(ctx.outDir, "out.txt"))));
  },
});
`;

Deno.test("afterRun: called after the lock file is written, for ran and cached steps, with the step's config; a failure is a warning", async () => {
  const root = await makeProject({
    "tasks/after.ts": afterTask,
    "tasks/count.ts": countTask("count"),
    "pipelines/p.yaml": "steps:\n  a: { task: count, config: { label: a } }\n  fin: { task: after, needs: [a], config: { title: Mine } }\n",
    "pipelines/broken.yaml": "steps:\n  fin: { task: after, config: { title: X, bad: true } }\n",
  });
  try {
    const first = await runCli(root, ["pipeline", "p"]);
    assertEquals(first.code, 0, first.stdout + first.stderr);
    assertEquals(await Deno.readTextFile(join(root, "after-p.txt")), "Mine ran Mine");
    await Deno.remove(join(root, "after-p.txt"));
    assertEquals((await runCli(root, ["pipeline", "p"])).code, 0);
    assertEquals(await Deno.readTextFile(join(root, "after-p.txt")), "Mine cached Mine", "a cached step's afterRun sees the new lock");

    const broken = await runCli(root, ["pipeline", "broken"]);
    assertEquals(broken.code, 0, "afterRun failing does not fail the run");
    assert(broken.stdout.includes("warning: fin: after the run (task): cannot finish X"), broken.stdout);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("failure kinds in the lock file: crashed (process exits without a result), task, upstream; a module that throws on import is refused at plan time", async () => {
  const root = await makeProject({
    "tasks/count.ts": countTask("count"),
    "tasks/broken.ts": `throw new Error("broken at import");\n`,
    "tasks/quitter.ts": `import { z } from "zod";\nimport { defineTask } from "${taskContractUrl}";\nexport default defineTask({ name: "quitter", description: "exits", usesSeed: false, config: z.object({}), async run() { Deno.exit(3); } });\n`,
    "pipelines/kinds.yaml": "steps:\n  q: { task: quitter }\n  t: { task: count, config: { label: t, fail: true } }\n  after: { task: count, needs: [q], config: { label: after } }\n",
  });
  try {
    const r = await runCli(root, ["pipeline", "kinds", "--keep-going", "--jobs", "1"]);
    assertEquals(r.code, 1, r.stdout + r.stderr);
    const lock = JSON.parse(await Deno.readTextFile(join(root, "outputs/kinds/pipeline.lock.json")));
    assertEquals(lock.version, 2);
    assertEquals(lock.steps.q.failure.kind, "crashed");
    assert(lock.steps.q.failure.message.includes("exited with code 3 without reporting a result"), lock.steps.q.failure.message);
    assertEquals(lock.steps.t.failure.kind, "task");
    assert(lock.steps.t.failure.message.startsWith("fake failure in t (step log with the stack trace: "), lock.steps.t.failure.message);
    assertEquals(lock.steps.after.failure.kind, "upstream");

    // A module that throws on import is refused at plan time when its facts are not cached (exit 2) …
    await Deno.writeTextFile(join(root, "pipelines/load.yaml"), "steps:\n  b: { task: broken }\n");
    const plan = await runCli(root, ["pipeline", "load"]);
    assertEquals(plan.code, 2, plan.stderr);
    assert(plan.stderr.includes("Cannot load task 'broken'") && plan.stderr.includes("broken at import"), plan.stderr);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
