/**
 * Training emits data; plot steps draw. A chart edit must leave every training step cached:
 * no numeric task (every task declared `usesTensors`, and every task named `train-*`, present
 * or future) may reach plotting code, and appending a comment to every file under `lib/plot/`
 * must leave the code part of their fingerprints (the `sources` and `npm` fields the runner
 * hashes, plus the tensor backend's code) unchanged — while it does change a plot task's.
 */
import { join, relative } from "node:path";
import { ModuleGraph } from "../../lib/runner/module_graph.ts";
import { assert, assertEquals } from "../assert.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
/** npm packages that only the plotting stack may use. */
const PLOTTING_NPM = ["@observablehq/plot", "jsdom", "sharp", "@resvg/resvg-js"];

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...filesUnder(path));
    else if (e.isFile) out.push(path);
  }
  return out;
}

/** Every task file with its declared name and whether it runs tensor code. */
async function taskFacts(): Promise<{ file: string; name: string; numeric: boolean }[]> {
  const out = [];
  for (const file of filesUnder(join(root, "tasks")).filter((f) => f.endsWith(".ts")).sort()) {
    const task = (await import(`file://${file}`)).default as { name: string; usesTensors?: boolean };
    out.push({ file, name: task.name, numeric: task.usesTensors === true || task.name.startsWith("train-") });
  }
  return out;
}

/** The code fields of a step's fingerprint as the runner builds them (task closure ∪ backend closure for tensor tasks). */
async function codeFields(graph: ModuleGraph, base: string, taskFile: string, numeric: boolean): Promise<{ sources: Record<string, string>; npm: Record<string, string> }> {
  const own = await graph.closure(join(base, relative(root, taskFile)));
  if (!numeric) return own;
  const backend = await graph.closure(join(base, "lib/tensor/backend.ts"));
  return { sources: { ...own.sources, ...backend.sources }, npm: { ...own.npm, ...backend.npm } };
}

const tasks = await taskFacts();
const numeric = tasks.filter((t) => t.numeric);

Deno.test("every numeric task is found (training tasks included) and none reaches plotting code", async () => {
  for (const name of ["train-ebm", "train-toy", "longrun-sample", "metastable-search", "basin-cluster"]) {
    assert(numeric.some((t) => t.name === name), `${name} is not recognised as a numeric task`);
  }
  const graph = await ModuleGraph.create(root, join(root, "deno.json"));
  for (const t of numeric) {
    const { sources, npm } = await codeFields(graph, root, t.file, true);
    const plotting = Object.keys(sources).filter((s) => s.startsWith("lib/plot/"));
    assertEquals(plotting, [], `${t.name} reaches plotting modules`);
    assertEquals(Object.keys(npm).filter((p) => PLOTTING_NPM.includes(p)), [], `${t.name} reaches plotting packages`);
  }
});

Deno.test("appending a comment to every plotting source leaves numeric steps' code fields unchanged and changes plot steps'", async () => {
  const copy = await Deno.makeTempDir({ prefix: "ebm-plot-edit-" });
  try {
    await new Deno.Command("cp", { args: ["-r", join(root, "lib"), join(root, "tasks"), join(root, "deno.json"), join(root, "deno.lock"), copy] }).output();
    const plotFiles = filesUnder(join(copy, "lib/plot")).filter((f) => /\.(ts|js)$/.test(f));
    assert(plotFiles.length > 5, `expected the plotting sources in the copy, found ${plotFiles.length}`);
    for (const f of plotFiles) await Deno.writeTextFile(f, "\n// a chart tweak\n", { append: true });
    const before = await ModuleGraph.create(root, join(root, "deno.json"));
    const after = await ModuleGraph.create(copy, join(copy, "deno.json"));
    for (const t of tasks) {
      const a = await codeFields(before, root, t.file, t.numeric), b = await codeFields(after, copy, t.file, t.numeric);
      if (t.numeric) {
        assertEquals(b, a, `${t.name}: a plotting edit changed its code fingerprint`);
      } else if (t.name === "plot-diagnostics" || t.name === "plot-landscape") {
        assert(JSON.stringify(a.sources) !== JSON.stringify(b.sources), `${t.name}: the edit did not reach it (the test would pass vacuously)`);
      }
    }
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});
