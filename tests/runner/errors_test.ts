/**
 * Every invalid input exits non-zero with a message naming the place: cycles, unknown tasks,
 * unknown needs, invalid YAML, invalid and unknown config values (inline, config file, profile,
 * --set). Planned in-process (fast); two cases go through the CLI to check the exit code.
 */
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makePlan } from "../../lib/runner/plan.ts";
import { countTask, makeProject, runCli } from "./rig.ts";

const root = await makeProject({
  "tasks/count.ts": countTask("count"),
  "configs/bad.yaml": "label: x\nvalue: -4\n",
  "pipelines/cycle.yaml": "steps:\n  a: { task: count, needs: [c], config: { label: a } }\n  b: { task: count, needs: [a], config: { label: b } }\n  c: { task: count, needs: [b], config: { label: c } }\n",
  "pipelines/unknown-task.yaml": "steps:\n  a:\n    task: nope\n",
  "pipelines/unknown-needs.yaml": "steps:\n  a: { task: count, config: { label: a } }\n  b:\n    task: count\n    needs: [a, zzz]\n",
  "pipelines/invalid-yaml.yaml": "steps:\n  a: { task: count\n  b: [\n",
  "pipelines/bad-value.yaml": "steps:\n  a:\n    task: count\n    config:\n      label: a\n      value: -1\n",
  "pipelines/bad-type.yaml": "steps:\n  a: { task: count, config: { label: 3 } }\n",
  "pipelines/unknown-key.yaml": "steps:\n  a:\n    task: count\n    config: { label: a, lr_init: 0.1 }\n",
  "pipelines/bad-file.yaml": "steps:\n  a: { task: count, config: configs/bad.yaml }\n",
  "pipelines/missing-file.yaml": "steps:\n  a: { task: count, config: configs/none.yaml }\n",
  "pipelines/bad-step-field.yaml": "steps:\n  a: { task: count, config: { label: a }, nedds: [b] }\n",
  "pipelines/good.yaml": "profiles:\n  small: { a: { value: -2 } }\nsteps:\n  a: { task: count, config: { label: a } }\n",
});

// The project is shared by the tests of this file; remove it when the test process ends.
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

const plan = (pipeline: string, extra: { sets?: string[]; profile?: string } = {}) =>
  makePlan({ root, pipeline, profile: extra.profile ?? null, sets: extra.sets ?? [] });

Deno.test("a cycle names its steps and file", async () => {
  await assertThrowsAsync(() => plan("cycle"), "pipelines/cycle.yaml", "cycle", "a → c → b → a");
});

Deno.test("an unknown task names the step, file and line", async () => {
  await assertThrowsAsync(() => plan("unknown-task"), "pipelines/unknown-task.yaml:3:11", "steps.a.task", "unknown task 'nope'");
});

Deno.test("unknown needs name the step, file and line", async () => {
  await assertThrowsAsync(() => plan("unknown-needs"), "pipelines/unknown-needs.yaml:5:16", "steps.b.needs", "unknown step 'zzz'");
});

Deno.test("invalid YAML names file:line:col", async () => {
  const e = await assertThrowsAsync(() => plan("invalid-yaml"), "pipelines/invalid-yaml.yaml:", "invalid YAML");
  assert(/invalid-yaml\.yaml:\d+:\d+/.test(e.message), e.message);
});

Deno.test("invalid config values name the place, path and value", async () => {
  await assertThrowsAsync(() => plan("bad-value"), "pipelines/bad-value.yaml:6:14", "steps.a.config.value", "got -1");
  await assertThrowsAsync(() => plan("bad-type"), "pipelines/bad-type.yaml:2:38", "steps.a.config.label", "expected string", "got 3");
  await assertThrowsAsync(() => plan("bad-file"), "configs/bad.yaml:2:8", "steps.a.config.value", "got -4");
  await assertThrowsAsync(() => plan("good", { sets: ["a.value=-3"] }), "--set 'a.value=-3'", "steps.a.config.value", "got -3");
  await assertThrowsAsync(() => plan("good", { profile: "small" }), "pipelines/good.yaml:2:24", "got -2");
});

Deno.test("unknown config keys, step fields, profiles and --set keys are errors", async () => {
  await assertThrowsAsync(() => plan("unknown-key"), "pipelines/unknown-key.yaml:4:25", "steps.a.config.lr_init", "unknown key");
  await assertThrowsAsync(() => plan("bad-step-field"), "pipelines/bad-step-field.yaml:2:43", "unknown key 'nedds'");
  await assertThrowsAsync(() => plan("missing-file"), "pipelines/missing-file.yaml:2:29", "configs/none.yaml' does not exist");
  await assertThrowsAsync(() => plan("good", { profile: "huge" }), "--profile huge", "only small");
  await assertThrowsAsync(() => plan("good", { sets: ["lr=1"] }), "--set 'lr=1'", "no step", "'lr'");
});

Deno.test("the CLI exits non-zero with the message on stderr", async () => {
  const cycle = await runCli(root, ["pipeline", "cycle"]);
  assertEquals(cycle.code, 2);
  assert(cycle.stderr.includes("cycle") && cycle.stderr.includes("pipelines/cycle.yaml"), cycle.stderr);
  const status = await runCli(root, ["status", "bad-value", "--json"]);
  assertEquals(status.code, 2);
  assert(status.stderr.includes("pipelines/bad-value.yaml:6:14") && status.stdout === "", status.stderr);
  const dag = await runCli(root, ["dag", "unknown-needs", "--format", "dot"]);
  assertEquals(dag.code, 2, "dag validates the pipeline too");
  const good = await runCli(root, ["dag", "good", "--format", "dot"]);
  assertEquals(good.code, 0, good.stderr);
  assert(good.stdout.startsWith("digraph") && good.stdout.includes('"a" [label="a\\n(count)"]'), good.stdout);
});

Deno.test("the good pipeline plans (control for the cases above)", async () => {
  const p = await plan("good", { sets: ["value=3"] });
  assertEquals(p.steps.a.config, { label: "a", value: 3, fail: false, external: null });
  assertEquals(p.steps.a.reasons, ["never ran (no cached output)"]);
});
