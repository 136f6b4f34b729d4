/**
 * Profiles: overlays from inline values or config files, and `default_profile`, which picks the
 * profile from the backend kind when no --profile is given.
 */
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { makePlan } from "../../lib/runner/plan.ts";
import { countTask, makeProject } from "./rig.ts";

const root = await makeProject({
  "tasks/count.ts": countTask("count"),
  "configs/profiles/a.small.yaml": "value: 5\n",
  "pipelines/p.yaml": [
    "default_profile: { gpu: big, cpu: small }",
    "profiles:",
    "  small: { a: configs/profiles/a.small.yaml, b: [configs/profiles/a.small.yaml, { value: 6 }] }",
    "  big: { '*': { value: 100 } }",
    "steps:",
    "  a: { task: count, config: { label: a } }",
    "  b: { task: count, needs: [a], config: { label: b } }",
  ].join("\n") + "\n",
  "pipelines/bad-default.yaml": "default_profile: { gpu: paper, cpu: nope }\nprofiles: { paper: {} }\nsteps:\n  a: { task: count, config: { label: a } }\n",
});
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

Deno.test("profiles: a step overlay may be a config file or a list of files and values", async () => {
  const plan = await makePlan({ root, pipeline: "p", profile: "small", sets: [] });
  assertEquals(plan.steps.a.config.value, 5);
  assertEquals(plan.steps.b.config.value, 6);
  assertEquals(plan.profileNote, null);
});

Deno.test("profiles: without --profile, default_profile follows the backend and says why", async () => {
  const plan = await makePlan({ root, pipeline: "p", profile: null, sets: [], backend: "cpu" });
  assertEquals(plan.profile, "small");
  assertEquals(plan.steps.a.config.value, 5);
  assert(plan.profileNote?.includes("CPU-only") && plan.profileNote.includes("default_profile.cpu"), String(plan.profileNote));
  const explicit = await makePlan({ root, pipeline: "p", profile: "big", sets: [], backend: "cpu" });
  assertEquals(explicit.steps.b.config.value, 100);
});

Deno.test("profiles: default_profile naming an unknown profile is an error with its place", async () => {
  await assertThrowsAsync(() => makePlan({ root, pipeline: "bad-default", profile: null, sets: [] }), "pipelines/bad-default.yaml:1", "default_profile.cpu", "unknown profile 'nope'");
});
