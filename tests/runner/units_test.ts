/** Unit tests of the runner's pure parts: import scanning, canonical JSON, npm lock closure, reasons, DAG, arguments, overlays. */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { findImports } from "../../lib/runner/js_imports.ts";
import { canonicalJson } from "../../lib/runner/hashing.ts";
import { fingerprintOf, type FingerprintFields } from "../../lib/runner/fingerprint.ts";
import { NpmLock, parseNpmSpecifier } from "../../lib/runner/npm_lock.ts";
import { fieldChanges } from "../../lib/runner/staleness.ts";
import { downstreamClosure, renderDot, renderMermaid, topologicalOrder, upstreamClosure } from "../../lib/runner/dag.ts";
import { parseCliArgs } from "../../lib/runner/cli_args.ts";
import { parseSetArg } from "../../lib/runner/effective_config.ts";
import { makePlan } from "../../lib/runner/plan.ts";
import { countTask, makeProject, repoRoot } from "./rig.ts";

Deno.test("findImports reads imports from code, not from comments or strings", () => {
  const source = `
/** @example
 * import { x } from "./in-doc-comment.ts";
 */
// import "./in-line-comment.ts";
import def, { a as b } from "./static.ts";
import type { T } from "./types.ts";
import "./side-effect.ts";
export * from "./star.ts";
export { y } from "./named.ts";
const s = "import './in-string.ts'";
const re = /import "x"/;
const t = \`import("./in-template.ts")\`;
const m = await import("./dynamic.ts");
const w = new URL("./worker.ts", import.meta.url);
const ratio = total / count / 2; import("./after-division.ts");
`;
  assertEquals(findImports(source), ["./static.ts", "./types.ts", "./side-effect.ts", "./star.ts", "./named.ts", "./dynamic.ts", "./worker.ts", "./after-division.ts"]);
});

Deno.test("canonical JSON ignores key order; the fingerprint covers every field", () => {
  assertEquals(canonicalJson({ b: 1, a: { d: [1, { f: 1, e: 2 }], c: null } }), '{"a":{"c":null,"d":[1,{"e":2,"f":1}]},"b":1}');
  const base: FingerprintFields = { sources: { "t.ts": "1" }, npm: { zod: "4" }, config: { a: 1, b: 2 }, seed: 0, upstream: {}, external: {}, runtime: { deno: "2.9.6" } };
  assertEquals(fingerprintOf(base), fingerprintOf({ ...base, config: { b: 2, a: 1 } }));
  const variants: FingerprintFields[] = [
    { ...base, sources: { "t.ts": "2" } }, { ...base, npm: { zod: "5" } }, { ...base, config: { a: 1, b: 3 } }, { ...base, seed: 1 },
    { ...base, upstream: { x: "f" } }, { ...base, external: { d: "h" } }, { ...base, runtime: { deno: "2.9.6", backend: "wasm" } },
  ];
  const all = new Set([fingerprintOf(base), ...variants.map(fingerprintOf)]);
  assertEquals(all.size, variants.length + 1, "each field changes the fingerprint");
});

Deno.test("npm versions come from deno.lock with transitive dependencies", async () => {
  assertEquals(parseNpmSpecifier("npm:/@tensorflow/tfjs-core@4.22.0/dist/x.js"), { name: "@tensorflow/tfjs-core", request: "4.22.0" });
  assertEquals(parseNpmSpecifier("npm:zod@4.6.7"), { name: "zod", request: "4.6.7" });
  const lock = await NpmLock.read(`${repoRoot}/deno.lock`);
  assertEquals(lock.closure("zod", "4.6.7"), { zod: "4.6.7" });
  const piscina = lock.closure("piscina", "5.3.2");
  assertEquals(piscina.piscina, "5.3.2");
  assert(Object.keys(piscina).length > 1, "piscina's dependencies are included");
});

Deno.test("stale reasons read like a changelog", () => {
  const before: FingerprintFields = { sources: { "lib/a.ts": "1", "lib/gone.ts": "1" }, npm: { zod: "4.6.7" }, config: { lr_init: 1e-4, net: { width: 2 } }, seed: 1, upstream: { train: "f1", data: "d1" }, external: {}, runtime: { deno: "2.9.5" } };
  const after: FingerprintFields = { sources: { "lib/a.ts": "2", "lib/new.ts": "1" }, npm: { zod: "4.6.8" }, config: { lr_init: 2e-4, net: { width: 2 } }, seed: 1, upstream: { train: "f2", data: "d1" }, external: {}, runtime: { deno: "2.9.6", backend: "wasm" } };
  assertEquals(fieldChanges(before, after, (id) => id === "data"), [
    "config field lr_init changed 0.0001 → 0.0002",
    "lib/a.ts changed",
    "lib/gone.ts is no longer imported",
    "lib/new.ts is now imported",
    "npm package zod changed 4.6.7 → 4.6.8",
    "upstream train re-ran",
    "upstream data is stale",
    "Deno version changed 2.9.5 → 2.9.6",
    "tensor backend changed (none) → wasm",
  ]);
});

Deno.test("DAG order, closures and renderings", () => {
  const steps = { c: { needs: ["b"] }, a: { needs: [] }, b: { needs: ["a"] }, d: { needs: ["a"] } };
  assertEquals(topologicalOrder(steps), ["a", "b", "c", "d"]);
  assertEquals([...upstreamClosure(steps, "c")].sort(), ["a", "b", "c"]);
  assertEquals([...downstreamClosure(steps, "a")].sort(), ["b", "c", "d"]);
  const tasks = { a: "gen", b: "stats", c: "sum", d: "other" };
  assert(renderMermaid(steps, tasks).includes("a --> b"), "mermaid edge");
  assert(renderDot(steps, tasks).includes('"a" -> "b";'), "dot edge");
});

Deno.test("CLI arguments", () => {
  const a = parseCliArgs(["pipeline", "demo", "--set", "lr=1e-4", "--set=train.steps=3", "--force=train", "--force=eval", "--only", "x", "--jobs=3", "--keep-going", "--json", "--dry-run"]);
  assertEquals([a.command, a.pipeline, a.sets, a.force, a.only, a.jobs, a.keepGoing, a.json, a.dryRun], ["pipeline", "demo", ["lr=1e-4", "train.steps=3"], ["train", "eval"], ["x"], 3, true, true, true]);
  assertEquals(parseCliArgs(["pipeline", "demo", "--force"]).force, true);
  assertEquals(parseSetArg("train.lr=1e-4", ["train"]), { text: "train.lr=1e-4", step: "train", key: "lr", value: 1e-4 });
  assertEquals(parseSetArg("flag=true").value, true);
  let message = "";
  try {
    parseCliArgs(["pipeline", "demo", "--jobs", "0"]);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("--jobs") && message.includes("'0'"), message);
});

Deno.test("overlays: defaults ← file ← inline ← profile '*' ← profile step ← --set", async () => {
  const root = await makeProject({
    "tasks/count.ts": countTask("count"),
    "tasks/other.ts": 'import { z } from "zod";\nimport { defineTask } from "' + new URL("../../lib/task.ts", import.meta.url).href + '";\nexport default defineTask({ name: "other", description: "x", config: z.object({ seed: z.number().default(11) }), async run() {} });\n',
    "configs/a.yaml": "label: from-file\nvalue: 2\n",
    "pipelines/p.yaml": "seed: 9\nprofiles:\n  big: { '*': { value: 5 }, b: { label: from-profile } }\nsteps:\n  a: { task: count, config: [configs/a.yaml, { value: 3 }] }\n  b: { task: count, seed: 4, config: { label: b } }\n  o: { task: other }\n",
  });
  try {
    const plain = await makePlan({ root, pipeline: "p", profile: null, sets: [] });
    assertEquals([plain.steps.a.config.label, plain.steps.a.config.value, plain.steps.b.config.value], ["from-file", 3, 1]);
    assertEquals([plain.steps.a.seed, plain.steps.b.seed, plain.steps.o.seed], [9, 4, 11], "seed: config.seed, else step, else pipeline");
    const big = await makePlan({ root, pipeline: "p", profile: "big", sets: ["b.value=7"], seed: 1 });
    assertEquals([big.steps.a.config.value, big.steps.b.config.value, big.steps.b.config.label, big.steps.a.seed], [5, 7, "from-profile", 1]);
    assert(!("value" in big.steps.o.config), "'*' applies only to steps whose schema has the key");
    await assertThrowsAsync(() => makePlan({ root, pipeline: "p", profile: null, sets: ["o.value=1"] }), "--set 'o.value=1'", "unknown key");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the backend name and the backend code enter the fingerprint of tensor tasks only", async () => {
  const contract = new URL("../../lib/task.ts", import.meta.url).href;
  const task = (name: string, usesTensors: boolean) =>
    `import { z } from "zod";\nimport { defineTask } from "${contract}";\nexport default defineTask({ name: "${name}", description: "x", usesTensors: ${usesTensors}, config: z.object({}), async run() {} });\n`;
  const root = await makeProject({
    "tasks/data.ts": task("data", false),
    "tasks/train.ts": task("train", true),
    "pipelines/p.yaml": "steps:\n  data: { task: data }\n  train: { task: train, needs: [data] }\n",
  });
  try {
    const cpu = await makePlan({ root, pipeline: "p", profile: null, sets: [], backend: "cpu" });
    const wasm = await makePlan({ root, pipeline: "p", profile: null, sets: [], backend: "wasm" });
    assertEquals([cpu.backend?.name, wasm.backend?.name], ["cpu", "wasm"]);
    assertEquals(cpu.steps.data.fingerprint, wasm.steps.data.fingerprint, "switching backend keeps the data step");
    assert(cpu.steps.train.fingerprint !== wasm.steps.train.fingerprint, "the tensor step depends on the backend");
    assertEquals(wasm.steps.train.fields.runtime, { deno: Deno.version.deno, backend: "wasm" });
    assertEquals(wasm.steps.data.fields.runtime, { deno: Deno.version.deno });
    // The backend's own code (loaded by the runner, not imported by the task) is a source of tensor steps only.
    const backendFile = fileURLToPath(new URL("../../lib/tensor/backend.ts", import.meta.url));
    const nativeKernel = fileURLToPath(new URL("../../lib/tensor/native/kernels/conv2d.ts", import.meta.url));
    const sources = (step: string) => Object.keys(wasm.steps[step].fields.sources);
    assert(sources("train").includes(backendFile) && sources("train").includes(nativeKernel), `train sources: ${sources("train")}`);
    assert(!sources("data").some((f) => f.includes("lib/tensor/")), `data sources: ${sources("data")}`);
    assert("@tensorflow/tfjs-backend-wasm" in wasm.steps.train.fields.npm, "the backend's npm packages too");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("reporter: an updating status line on a terminal, timestamped lines otherwise", async () => {
  const { createReporter } = await import("../../lib/runner/reporter.ts");
  const capture = (tty: boolean) => {
    const chunks: string[] = [];
    const stream = { writeSync: (p: Uint8Array) => (chunks.push(new TextDecoder().decode(p)), p.length), isTerminal: () => tty };
    const r = createReporter(stream, 2);
    r.stepStart("train", "train-ebm");
    r.stepProgress("train", 5, 10, "iteration");
    r.stepEnd("train", "ran", 1.25, "loss=0.1");
    r.stepEnd("eval", "cached", null, "fid=30");
    r.close();
    return chunks.join("");
  };
  const tty = capture(true);
  assert(tty.includes("\r\x1b[2K[0/2] train"), `status line redrawn in place: ${JSON.stringify(tty)}`);
  assert(tty.includes("✓ train ran 1.3s — loss=0.1\n") && tty.includes("≡ eval cached — fid=30\n"), JSON.stringify(tty));
  const plain = capture(false);
  assert(!plain.includes("\x1b["), "no escape codes when not a terminal");
  assert(/^\[\d\d:\d\d:\d\d\] ▶ train \(train-ebm\) started$/m.test(plain), plain);
  assert(/^\[\d\d:\d\d:\d\d\]   train: 50% \(iteration 5\/10\)$/m.test(plain), plain);
});
