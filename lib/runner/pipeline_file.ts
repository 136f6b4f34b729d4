/**
 * Reading and validating `pipelines/<name>.yaml`.
 *
 * ```yaml
 * name: demo                      # optional; must equal the file name when given
 * description: Toy data → stats   # optional
 * seed: 7                         # optional; pipeline-wide default seed
 * profiles:                       # optional named overlays: profile → step id (or "*") → values
 *   quick: { "*": { points: 500 }, stats: { chunks: 2 } }
 *   small: { stats: configs/profiles/stats.small.yaml }   # a step overlay may be a config file
 * default_profile:                # optional: the profile used without --profile, by backend kind
 *   gpu: paper                    #   when the resolved tensor backend runs on a GPU (tensorflow)
 *   cpu: quick                    #   otherwise (native, wasm, cpu)
 * steps:
 *   generate: { task: demo-generate, config: configs/demo/generate.yaml }
 *   stats:
 *     task: demo-stats
 *     config: [configs/demo/stats.yaml, { chunks: 4 }]   # a path, a mapping, or a list of both
 *     needs: [generate]
 *     seed: 3                     # optional per-step seed
 * ```
 *
 * @example
 * ```ts
 * import { loadPipelineFile } from "./pipeline_file.ts";
 * const pipeline = await loadPipelineFile("/work/main", "demo");
 * console.log(Object.keys(pipeline.steps));
 * ```
 * @module
 */
import { z } from "zod";
import { join } from "node:path";
import { UserError } from "./errors.ts";
import { locate, readYamlFile, type YamlSource } from "./yaml_source.ts";
import { describeIssue } from "./zod_issues.ts";

const idPattern = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

const configPart = z.union([z.string(), z.record(z.string(), z.unknown())]);

const stepSchema = z.strictObject({
  task: z.string().min(1),
  description: z.string().optional(),
  config: z.union([configPart, z.array(configPart)]).optional(),
  needs: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
});

const pipelineSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  seed: z.number().int().optional(),
  profiles: z.record(z.string(), z.record(z.string(), z.union([configPart, z.array(configPart)]))).optional(),
  default_profile: z.strictObject({ gpu: z.string(), cpu: z.string() }).optional(),
  steps: z.record(z.string().regex(idPattern, "a step id uses letters, digits, '_' and '-' only"), stepSchema)
    .refine((steps) => Object.keys(steps).length > 0, "a pipeline needs at least one step"),
});

/** One step as written in the pipeline file. */
export interface StepSpec {
  id: string;
  task: string;
  description?: string;
  /** Config parts in merge order: a string is a path under `configs/`, an object inline values. */
  configParts: (string | Record<string, unknown>)[];
  needs: string[];
  seed?: number;
}

/** A validated pipeline file. */
export interface PipelineSpec {
  name: string;
  description?: string;
  seed?: number;
  /** Profile → step id (or "*") → overlay parts (config file paths or inline values), in order. */
  profiles: Record<string, Record<string, (string | Record<string, unknown>)[]>>;
  /** Profile chosen when none is given, by whether the backend runs on a GPU. */
  defaultProfile?: { gpu: string; cpu: string };
  /** Steps in file order. */
  steps: Record<string, StepSpec>;
  source: YamlSource;
}

/** Loads and validates `<root>/pipelines/<name>.yaml` (structure only; tasks are checked later). */
export async function loadPipelineFile(root: string, name: string): Promise<PipelineSpec> {
  if (!idPattern.test(name)) throw new UserError(`Cannot load pipeline '${name}': a pipeline name uses letters, digits, '_' and '-' only`);
  const file = `pipelines/${name}.yaml`;
  let source: YamlSource;
  try {
    source = await readYamlFile(join(root, file), file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new UserError(`Cannot load pipeline '${name}': ${file} does not exist under ${root}`);
    if (e instanceof UserError) throw e;
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  const parsed = pipelineSchema.safeParse(source.value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const atKey = issue.code === "unrecognized_keys" || issue.code === "invalid_key";
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
    throw new UserError(`Invalid ${locate(source, path as (string | number)[], atKey)}: ${describeIssue(issue, source.value)}`);
  }
  const data = parsed.data;
  if (data.name !== undefined && data.name !== name) {
    throw new UserError(`Invalid ${locate(source, ["name"])}: name: expected '${name}' (the file name), got '${data.name}'`);
  }
  const steps: Record<string, StepSpec> = {};
  for (const [id, s] of Object.entries(data.steps)) {
    const parts = s.config === undefined ? [] : Array.isArray(s.config) ? s.config : [s.config];
    steps[id] = { id, task: s.task, description: s.description, configParts: parts, needs: s.needs ?? [], seed: s.seed };
  }
  for (const step of Object.values(steps)) {
    step.needs.forEach((need, i) => {
      if (!(need in steps)) {
        throw new UserError(`Invalid ${locate(source, ["steps", step.id, "needs", i])}: steps.${step.id}.needs: unknown step '${need}'`);
      }
      if (need === step.id) throw new UserError(`Invalid ${locate(source, ["steps", step.id, "needs", i])}: steps.${step.id}.needs: a step cannot need itself`);
    });
  }
  const profiles: PipelineSpec["profiles"] = {};
  for (const [profile, overlay] of Object.entries(data.profiles ?? {})) {
    profiles[profile] = {};
    for (const [stepId, parts] of Object.entries(overlay)) {
      if (stepId !== "*" && !(stepId in steps)) {
        throw new UserError(`Invalid ${locate(source, ["profiles", profile, stepId], true)}: profiles.${profile}.${stepId}: unknown step '${stepId}'`);
      }
      const list = Array.isArray(parts) ? parts : [parts];
      if (stepId === "*" && list.some((p) => typeof p !== "object")) {
        throw new UserError(`Invalid ${locate(source, ["profiles", profile, stepId])}: profiles.${profile}.*: the "*" overlay must be inline values, not a file`);
      }
      profiles[profile][stepId] = list;
    }
  }
  for (const kind of ["gpu", "cpu"] as const) {
    const chosen = data.default_profile?.[kind];
    if (chosen !== undefined && !(chosen in profiles)) {
      throw new UserError(`Invalid ${locate(source, ["default_profile", kind])}: default_profile.${kind}: unknown profile '${chosen}' (profiles: ${Object.keys(profiles).join(", ") || "none"})`);
    }
  }
  return { name, description: data.description, seed: data.seed, profiles, defaultProfile: data.default_profile, steps, source };
}
