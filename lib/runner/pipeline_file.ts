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
 *   fast:                         # a profile that changes the recipe, not just the budget, says why
 *     stats: { chunks: 8 }
 *     recipe_changes: { stats: { chunks: "8 chunks: fewer passes fit the budget" } }
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
 *   train:
 *     task: train-toy
 *     matrix: { seed: [1, 2, 3], lr_init: [1e-4, 2e-4] }   # one step per combination
 *   landscape: { task: plot-landscape, needs: [train], alongside: [train] }   # one per train variant
 *   summary: { task: aggregate, needs: [train] }            # fan-in: receives all six variants
 * ```
 *
 * **Matrices.** A step with `matrix: { field: [values…], … }` expands into one step per
 * combination (fields in file order, values in list order), with the id
 * `<step>__<field>-<value>[__<field>-<value>…]`, e.g. `train__seed-1__lr_init-1e-4` (in values `.` is
 * written `p` and a leading `-` `m`: `0.5` → `0p5`, `-1` → `m1`), so a variant id is a valid step id,
 * output folder and `--set`/`--only` target. Each variant's config is the step's config with the
 * matrix values applied after the profile overlay and before `--set`. A field must be a config
 * key of the task (checked at plan time) or `seed` (the step's seed). A step id written in the file
 * may not contain `__`. Downstream of a matrix step, `needs: [train]` **fans in**: the step gets
 * every variant as an input (labelled with the variant id, the step id `train` as its group and its
 * matrix values). Adding `alongside: [train]` instead **expands the step alongside** its upstream:
 * one variant per variant of `train` (same suffix), each needing the matching variant. Profiles and
 * `--set train.x=…`, `--only train`, `--until train`, `--force=train` address all variants of `train`;
 * a variant id addresses one.
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

const matrixValue = z.union([z.number(), z.string(), z.boolean()]);

const stepSchema = z.strictObject({
  task: z.string().min(1),
  description: z.string().optional(),
  config: z.union([configPart, z.array(configPart)]).optional(),
  needs: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
  matrix: z.record(z.string(), z.array(matrixValue)).optional(),
  alongside: z.array(z.string()).optional(),
});

/** Separates a step id from its matrix values in a variant id. */
export const MATRIX_SEPARATOR = "__";

const pipelineSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  seed: z.number().int().optional(),
  profiles: z.record(z.string(), z.record(z.string(), z.union([configPart, z.array(configPart)]))).optional(),
  default_profile: z.strictObject({ gpu: z.string(), cpu: z.string() }).optional(),
  steps: z.record(z.string().regex(idPattern, "a step id uses letters, digits, '_' and '-' only"), stepSchema)
    .refine((steps) => Object.keys(steps).length > 0, "a pipeline needs at least one step"),
});

/** One step of the pipeline: as written in the file, or one variant of a step with a matrix. */
export interface StepSpec {
  id: string;
  /** The step's id as written in the pipeline file (equals `id` unless the step is a matrix variant). */
  group: string;
  /** A variant's matrix values (own or, with `alongside`, its upstream's); null for a plain step. */
  matrix: Record<string, string | number | boolean> | null;
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
  /**
   * Profile → step id → recipe field → why: the profile's `recipe_changes` entry, declaring where
   * it changes a field of the recipe (not just the budget); the lock and the report carry it.
   */
  recipeChanges: Record<string, Record<string, Record<string, string>>>;
  /** Profile chosen when none is given, by whether the backend runs on a GPU. */
  defaultProfile?: { gpu: string; cpu: string };
  /** Steps in file order, matrix steps expanded into their variants. */
  steps: Record<string, StepSpec>;
  /** Step id as written → the ids it expanded into (itself for a plain step). */
  groups: Record<string, string[]>;
  source: YamlSource;
}

/** The reserved profile key that declares recipe changes (see {@link PipelineSpec.recipeChanges}). */
export const RECIPE_CHANGES = "recipe_changes";

function parseRecipeChanges(value: unknown, source: YamlSource, profile: string, steps: Record<string, StepSpec>, groups: Record<string, string[]>): Record<string, Record<string, string>> {
  const where = (path: string[]) => locate(source, ["profiles", profile, RECIPE_CHANGES, ...path]);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UserError(`Invalid ${where([])}: profiles.${profile}.${RECIPE_CHANGES}: expected { <step>: { <field>: <why> } }`);
  }
  const out: Record<string, Record<string, string>> = {};
  for (const [stepId, fields] of Object.entries(value)) {
    if (!(stepId in steps) && !(stepId in groups)) throw new UserError(`Invalid ${where([stepId])}: profiles.${profile}.${RECIPE_CHANGES}.${stepId}: unknown step '${stepId}'`);
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      throw new UserError(`Invalid ${where([stepId])}: profiles.${profile}.${RECIPE_CHANGES}.${stepId}: expected { <field>: <why> }`);
    }
    out[stepId] = {};
    for (const [field, why] of Object.entries(fields)) {
      if (typeof why !== "string" || why.trim() === "") {
        throw new UserError(`Invalid ${where([stepId, field])}: profiles.${profile}.${RECIPE_CHANGES}.${stepId}.${field}: expected the reason as text, got ${JSON.stringify(why)}`);
      }
      out[stepId][field] = why;
    }
  }
  return out;
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
  const { steps, groups } = expandSteps(data.steps, source);
  const profiles: PipelineSpec["profiles"] = {};
  const recipeChanges: PipelineSpec["recipeChanges"] = {};
  for (const [profile, overlay] of Object.entries(data.profiles ?? {})) {
    profiles[profile] = {};
    for (const [stepId, parts] of Object.entries(overlay)) {
      if (stepId === RECIPE_CHANGES) {
        recipeChanges[profile] = parseRecipeChanges(parts, source, profile, steps, groups);
        continue;
      }
      if (stepId !== "*" && !(stepId in steps) && !(stepId in groups)) {
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
  return { name, description: data.description, seed: data.seed, profiles, recipeChanges, defaultProfile: data.default_profile, steps, groups, source };
}

/** A matrix value as it appears in a variant id: `0.5` → `0p5`, `-1` → `m1`, `true` → `true`. */
export function matrixValueSlug(value: string | number | boolean): string | null {
  const text = String(value).replace(/^-/, "m").replaceAll(".", "p");
  return /^[A-Za-z0-9_-]+$/.test(text) && !text.includes(MATRIX_SEPARATOR) ? text : null;
}

/** The id of the variant of `id` with `values` (see the module doc). */
export function variantId(id: string, values: Record<string, string | number | boolean>): string {
  return [id, ...Object.entries(values).map(([k, v]) => `${k}-${matrixValueSlug(v)}`)].join(MATRIX_SEPARATOR);
}

type RawStep = z.infer<typeof stepSchema>;

/** Expands matrix steps and resolves fan-in / alongside needs (see the module doc). */
function expandSteps(raw: Record<string, RawStep>, source: YamlSource): { steps: Record<string, StepSpec>; groups: Record<string, string[]> } {
  const where = (path: (string | number)[], atKey = false) => locate(source, ["steps", ...path], atKey);
  for (const [id, s] of Object.entries(raw)) {
    if (id.includes(MATRIX_SEPARATOR)) {
      throw new UserError(`Invalid ${where([id], true)}: steps.${id}: '${MATRIX_SEPARATOR}' in a step id is reserved for matrix variants (${MATRIX_SEPARATOR.length} underscores)`);
    }
    for (const [field, values] of Object.entries(s.matrix ?? {})) {
      if (values.length === 0) throw new UserError(`Invalid ${where([id, "matrix", field])}: steps.${id}.matrix.${field}: expected at least one value, got an empty list`);
      if (!/^[A-Za-z0-9_]+$/.test(field)) throw new UserError(`Invalid ${where([id, "matrix", field], true)}: steps.${id}.matrix.${field}: a matrix field is a top-level config key (letters, digits, '_')`);
      const seen = new Map<string, unknown>();
      values.forEach((v, i) => {
        const slug = matrixValueSlug(v);
        if (slug === null) throw new UserError(`Invalid ${where([id, "matrix", field, i])}: steps.${id}.matrix.${field}[${i}]: value ${JSON.stringify(v)} cannot be part of a step id (use letters, digits, '_', '-', '.')`);
        if (seen.has(slug)) throw new UserError(`Invalid ${where([id, "matrix", field, i])}: steps.${id}.matrix.${field}[${i}]: value ${JSON.stringify(v)} gives the same step id as ${JSON.stringify(seen.get(slug))}`);
        seen.set(slug, v);
      });
    }
    if (s.matrix && Object.keys(s.matrix).length === 0) throw new UserError(`Invalid ${where([id, "matrix"])}: steps.${id}.matrix: expected at least one field, got an empty mapping`);
    if (s.matrix && s.alongside) throw new UserError(`Invalid ${where([id, "alongside"], true)}: steps.${id}: a step has either its own matrix or alongside, not both`);
  }
  const groups: Record<string, string[]> = {};
  const variants: Record<string, Record<string, string | number | boolean>[]> = {};
  const steps: Record<string, StepSpec> = {};
  // Needs are resolved in dependency order, so an alongside upstream is expanded first.
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (id in groups || visiting.has(id)) return;
    visiting.add(id);
    const s = raw[id];
    (s.needs ?? []).forEach((need) => {
      if (need in raw) visit(need);
    });
    let combos: Record<string, string | number | boolean>[] = [{}];
    if (s.matrix) {
      for (const [field, values] of Object.entries(s.matrix)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [field]: v })));
    } else if (s.alongside) {
      s.alongside.forEach((up, i) => {
        const at = where([id, "alongside", i]);
        if (!(s.needs ?? []).includes(up)) throw new UserError(`Invalid ${at}: steps.${id}.alongside: '${up}' must also be in steps.${id}.needs`);
        if (!(up in raw)) throw new UserError(`Invalid ${at}: steps.${id}.alongside: unknown step '${up}'`);
        const upCombos = variants[up] ?? [{}];
        if (upCombos.length === 1 && Object.keys(upCombos[0]).length === 0) throw new UserError(`Invalid ${at}: steps.${id}.alongside: step '${up}' has no matrix to expand alongside`);
        if (i === 0) combos = upCombos;
        else if (JSON.stringify(upCombos) !== JSON.stringify(combos)) {
          throw new UserError(`Invalid ${at}: steps.${id}.alongside: '${up}' has another matrix than '${s.alongside![0]}' (alongside steps must share one)`);
        }
      });
    }
    const expanded = Object.keys(combos[0]).length > 0;
    variants[id] = combos;
    groups[id] = [];
    for (const values of combos) {
      const vid = expanded ? variantId(id, values) : id;
      const needs: string[] = [];
      for (const need of s.needs ?? []) {
        if (!(need in raw) || !(need in groups)) {
          needs.push(need); // unknown or a cycle: reported below / by topologicalOrder
          continue;
        }
        if (s.alongside?.includes(need)) needs.push(variantId(need, values));
        else needs.push(...groups[need]);
      }
      const parts = s.config === undefined ? [] : Array.isArray(s.config) ? s.config : [s.config];
      const seed = expanded && typeof values.seed === "number" ? values.seed : s.seed;
      steps[vid] = { id: vid, group: id, matrix: expanded ? values : null, task: s.task, description: s.description, configParts: parts, needs, seed };
      groups[id].push(vid);
    }
    visiting.delete(id);
  };
  for (const id of Object.keys(raw)) visit(id);
  // File order: each step's variants where the step was written.
  const ordered: Record<string, StepSpec> = {};
  for (const id of Object.keys(raw)) for (const vid of groups[id]) ordered[vid] = steps[vid];
  for (const id of Object.keys(raw)) {
    (raw[id].needs ?? []).forEach((need, i) => {
      if (!(need in raw) && !(need in ordered)) throw new UserError(`Invalid ${where([id, "needs", i])}: steps.${id}.needs: unknown step '${need}'`);
      if (need === id) throw new UserError(`Invalid ${where([id, "needs", i])}: steps.${id}.needs: a step cannot need itself`);
    });
  }
  for (const step of Object.values(ordered)) {
    for (const need of step.needs) {
      if (!(need in ordered)) throw new UserError(`Invalid ${where([step.group, "needs"])}: steps.${step.group}.needs: matrix step '${need}' is part of a cycle`);
    }
  }
  return { steps: ordered, groups };
}
