/**
 * Matrices in pipeline files: expansion into variants (ids, configs, seeds, fingerprints),
 * fan-in and alongside downstream steps, --set / --only / --force on a matrix step or one
 * variant, plan-time errors with file:line:col, and a real run with status and dag.
 */
import { join } from "node:path";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makePlan } from "../../lib/runner/plan.ts";
import { matrixValueSlug } from "../../lib/runner/pipeline_file.ts";
import { counts, countTask, makeProject, runCli } from "./rig.ts";

const sweep = `seed: 5
profiles:
  small: { gen: { value: 9 }, "gen__value-1__seed-2": { label: g } }
steps:
  gen:
    task: count
    config: { label: g }
    matrix: { value: [1, 2.5], seed: [1, 2] }
  each: { task: count, config: { label: e }, needs: [gen], alongside: [gen] }
  all: { task: count, config: { label: all }, needs: [gen] }
  tail: { task: count, config: { label: t }, needs: [each] }
`;
const root = await makeProject({
  "tasks/count.ts": countTask("count"),
  "tasks/noseed.ts": countTask("noseed").replace('description: "fake task for runner tests",', 'description: "fake", usesSeed: false,').replace(' + ctx.seed + "[', ' + "[').replace('" seed " + ctx.seed', '""'),
  "pipelines/sweep.yaml": sweep,
  "pipelines/unknown-field.yaml": "steps:\n  a:\n    task: count\n    config: { label: a }\n    matrix: { lr: [1, 2] }\n",
  "pipelines/empty.yaml": "steps:\n  a:\n    task: count\n    config: { label: a }\n    matrix: { value: [] }\n",
  "pipelines/reserved.yaml": "steps:\n  a__b: { task: count, config: { label: a } }\n",
  "pipelines/alongside-not-needed.yaml": "steps:\n  a: { task: count, config: { label: a }, matrix: { value: [1, 2] } }\n  b: { task: count, config: { label: b }, alongside: [a] }\n",
  "pipelines/bad-value.yaml": "steps:\n  a: { task: count, config: { label: a }, matrix: { label: [x, 'y z'] } }\n",
  "pipelines/seed-noseed.yaml": "steps:\n  a:\n    task: noseed\n    config: { label: a }\n    matrix: { seed: [1, 2] }\n",
});
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const plan = (pipeline: string, extra: { sets?: string[]; profile?: string; only?: string[]; force?: string[] } = {}) =>
  makePlan({ root, pipeline, profile: extra.profile ?? null, sets: extra.sets ?? [], only: extra.only, force: extra.force });

const gens = ["gen__value-1__seed-1", "gen__value-1__seed-2", "gen__value-2p5__seed-1", "gen__value-2p5__seed-2"];

Deno.test("matrix values become ids that survive the step-id pattern, --set and file names", () => {
  assertEquals([matrixValueSlug(0.5), matrixValueSlug(-1), matrixValueSlug(1e-4), matrixValueSlug(true), matrixValueSlug("a b")], ["0p5", "m1", "0p0001", "true", null]);
});

Deno.test("a matrix step expands per combination; fan-in gets every variant, alongside one each", async () => {
  const p = await plan("sweep");
  assertEquals(p.order, [...gens, ...gens.map((g) => g.replace("gen", "each")), "all", "tail"]);
  assertEquals(gens.map((id) => [p.steps[id].config.value, p.steps[id].seed]), [[1, 1], [1, 2], [2.5, 1], [2.5, 2]]);
  assertEquals(new Set(gens.map((id) => p.steps[id].fingerprint)).size, 4);
  assertEquals(p.steps.all.spec.needs, gens);
  assertEquals(p.steps["each__value-2p5__seed-1"].spec.needs, ["gen__value-2p5__seed-1"]);
  assertEquals(p.steps["each__value-2p5__seed-1"].spec.matrix, { value: 2.5, seed: 1 });
  assertEquals(p.steps["each__value-2p5__seed-1"].seed, 1, "the alongside variant's seed is its upstream's");
  assertEquals(p.steps.tail.spec.needs, gens.map((g) => g.replace("gen", "each")), "downstream of an alongside step fans in");
  assertEquals(p.pipeline.groups.gen, gens);
});

Deno.test("profiles, --set, --only and --force address a matrix step or one variant", async () => {
  const small = await plan("sweep", { profile: "small" });
  assertEquals(gens.map((id) => small.steps[id].config.value), [1, 1, 2.5, 2.5], "the matrix wins over the profile");
  const one = await plan("sweep", { sets: ["gen__value-1__seed-2.value=7"] });
  assertEquals(gens.map((id) => one.steps[id].config.value), [1, 7, 2.5, 2.5]);
  const all = await plan("sweep", { sets: ["gen.label=z"] });
  assertEquals(gens.map((id) => all.steps[id].config.label), ["z", "z", "z", "z"]);
  const only = await plan("sweep", { only: ["gen"] });
  assertEquals(only.order.filter((id) => only.steps[id].selected), gens);
  const force = await plan("sweep", { force: ["each__value-1__seed-1"] });
  assertEquals(force.order.filter((id) => force.steps[id].forced), ["each__value-1__seed-1"]);
  await assertThrowsAsync(() => plan("sweep", { only: ["nope"] }), "Cannot use --only nope", "has no step 'nope'");
});

Deno.test("matrix errors are plan-time errors naming file:line:col", async () => {
  await assertThrowsAsync(() => plan("unknown-field"), "pipelines/unknown-field.yaml:5:15", "steps.a.matrix.lr: unknown field for task 'count'");
  await assertThrowsAsync(() => plan("empty"), "pipelines/empty.yaml:5:22", "steps.a.matrix.value: expected at least one value, got an empty list");
  await assertThrowsAsync(() => plan("reserved"), "pipelines/reserved.yaml:2:3", "'__' in a step id is reserved");
  await assertThrowsAsync(() => plan("alongside-not-needed"), "pipelines/alongside-not-needed.yaml:3:55", "'a' must also be in steps.b.needs");
  await assertThrowsAsync(() => plan("bad-value"), "pipelines/bad-value.yaml:2:64", 'value "y z" cannot be part of a step id');
  await assertThrowsAsync(() => plan("seed-noseed"), "pipelines/seed-noseed.yaml:5:15", "declares usesSeed: false");
});

Deno.test("a matrix pipeline runs, re-runs cached, and status and dag list its variants", async () => {
  const r = await runCli(root, ["pipeline", "sweep", "--jobs", "2"]);
  assertEquals(r.code, 0, r.stderr + r.stdout);
  assertEquals(await counts(root), { all: 1, e: 4, g: 4, t: 1 });
  const allOut = await Deno.readTextFile(join(root, "outputs", "sweep", "all", "out.txt"));
  assertEquals(allOut, "all:1::5[g:1::1[]|g:1::2[]|g:2.5::1[]|g:2.5::2[]]");
  const again = await runCli(root, ["pipeline", "sweep", "--json"]);
  const doc = JSON.parse(again.stdout);
  assert(doc.steps.every((s: { status: string }) => s.status === "cached"), again.stdout);
  const status = await runCli(root, ["status", "sweep"]);
  assert(/fresh +gen__value-2p5__seed-2 /.test(status.stdout), status.stdout);
  const dag = await runCli(root, ["dag", "sweep"]);
  assert(dag.stdout.includes("gen__value-1__seed-1 --> each__value-1__seed-1") || dag.stdout.includes("each__value-1__seed-1"), dag.stdout);
  const reasons = async (sets: string[]) => (await plan("sweep", { sets })).steps.all.reasons;
  assert((await reasons(["gen.label=z"])).includes("upstream gen (all 4 variants) is stale"), "all variants");
  assert((await reasons(["gen__value-1__seed-2.label=z"])).includes("upstream gen__value-1__seed-2 is stale"), "one variant");
  const two = await reasons(["gen__value-1__seed-1.label=z", "gen__value-2p5__seed-2.label=z"]);
  assert(two.includes("upstream gen: 2 of 4 variants (gen__value-1__seed-1, gen__value-2p5__seed-2) are stale"), two.join("; "));
  const lock = JSON.parse(await Deno.readTextFile(join(root, "outputs", "sweep", "pipeline.lock.json")));
  assertEquals(lock.steps["gen__value-2p5__seed-1"].fields.config.value, 2.5);
});
