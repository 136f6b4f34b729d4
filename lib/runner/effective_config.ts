/**
 * A step's effective config: task defaults ← config file(s) and inline values (in the order the
 * step lists them) ← profile overlay (`"*"` first, then the step's own) ← a matrix variant's values ← `--set` values. Unknown
 * top-level keys are errors, and every error names where the offending value came from (a
 * config file line, a pipeline file line, or the `--set` argument).
 *
 * @example
 * ```ts ignore
 * import { mergeStepConfig, parseSetArg, schemaKeys, validateStepConfig } from "./effective_config.ts";
 * const sets = [parseSetArg("points=500")];
 * const merged = await mergeStepConfig({ root, pipeline, step, taskName: task.name, keys: schemaKeys(task.config), profile: null, sets });
 * const config = validateStepConfig(merged, task);
 * ```
 * @module
 */
import { isAbsolute, join, normalize } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import type { TaskDefinition } from "../task.ts";
import { UserError } from "./errors.ts";
import type { PipelineSpec, StepSpec } from "./pipeline_file.ts";
import { locate, readYamlFile, type YamlSource } from "./yaml_source.ts";
import { describeIssue, formatValue } from "./zod_issues.ts";

/** One `--set` argument: `key=value` (every step whose task has `key`) or `step.key=value`. */
export interface SetArg {
  /** The argument as typed, for messages. */
  text: string;
  /** Step id, or null for "every step whose schema has the key". */
  step: string | null;
  key: string;
  value: unknown;
}

/** Parses `k=v`; the value is read as a YAML scalar (`1e-4` → number, `true` → boolean). */
export function parseSetArg(text: string, stepIds: readonly string[] = []): SetArg {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UserError(`Cannot read --set '${text}': expected key=value`);
  const lhs = text.slice(0, eq);
  let value: unknown;
  try {
    value = parseYaml(text.slice(eq + 1));
  } catch (e) {
    throw new UserError(`Cannot read --set '${text}': the value is not a YAML scalar (${(e as Error).message})`);
  }
  const dot = lhs.indexOf(".");
  if (dot > 0 && stepIds.includes(lhs.slice(0, dot))) return { text, step: lhs.slice(0, dot), key: lhs.slice(dot + 1), value };
  return { text, step: null, key: lhs, value };
}

/** Top-level keys of a zod object schema (through optional/default/pipe wrappers), or null. */
export function schemaKeys(schema: z.ZodType): Set<string> | null {
  let s: unknown = schema;
  for (let i = 0; i < 10 && s; i++) {
    const def = (s as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return null;
    if (def.type === "object") return new Set(Object.keys(def.shape as object));
    s = def.innerType ?? def.in ?? null;
  }
  return null;
}

type Origin = { src: YamlSource; path: (string | number)[] } | { cli: string };

/** Inputs of {@link mergeStepConfig}. */
export interface MergeInput {
  root: string;
  pipeline: PipelineSpec;
  step: StepSpec;
  taskName: string;
  /** Top-level keys of the task's config schema (null: unknown, no key checks). */
  keys: ReadonlySet<string> | null;
  profile: string | null;
  sets: readonly SetArg[];
  /** Parsed config files shared by all steps of a run. */
  fileCache?: Map<string, Promise<YamlSource>>;
}

/** The merged raw values of a step's config and where each top-level key came from. */
export interface MergedConfig {
  raw: Record<string, unknown>;
  origins: Map<string, Origin>;
  /** Location of the step's `config:` in the pipeline file (fallback for messages). */
  stepWhere: string;
  stepId: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function mergeInto(target: Record<string, unknown>, overlay: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(overlay)) {
    if (isPlainObject(v) && isPlainObject(target[k])) {
      const copy = { ...(target[k] as Record<string, unknown>) };
      mergeInto(copy, v);
      target[k] = copy;
    } else {
      target[k] = v;
    }
  }
}

async function readConfigFile(root: string, path: string, where: string, cache: Map<string, Promise<YamlSource>>): Promise<YamlSource> {
  const rel = normalize(path);
  if (isAbsolute(rel) || !rel.startsWith("configs/")) {
    throw new UserError(`Invalid ${where}: config file '${path}' must be a path under configs/`);
  }
  let promise = cache.get(rel);
  if (!promise) {
    promise = (async () => {
      let src: YamlSource;
      try {
        src = await readYamlFile(join(root, rel), rel);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) throw new UserError(`Invalid ${where}: config file '${path}' does not exist`);
        if (e instanceof UserError) throw e;
        throw new UserError(`Invalid ${where}: cannot read config file '${path}': ${(e as Error).message}`);
      }
      if (src.value !== null && !isPlainObject(src.value)) {
        throw new UserError(`Invalid ${rel}:1:1: a config file must be a mapping of key: value, got ${formatValue(src.value)}`);
      }
      return src;
    })();
    cache.set(rel, promise);
  }
  return await promise;
}

function originText(origin: Origin | undefined, fallback: string, path: (string | number)[], atKey = false): string {
  if (!origin) return fallback;
  if ("cli" in origin) return `--set '${origin.cli}'`;
  return locate(origin.src, [...origin.path, ...path], atKey);
}

/**
 * Merges config files, inline values, profile overlays and `--set` values for one step and
 * rejects unknown top-level keys, naming where each came from. Task defaults are applied later
 * by {@link validateStepConfig}.
 */
export async function mergeStepConfig(input: MergeInput): Promise<MergedConfig> {
  const { root, pipeline, step, keys, profile, sets } = input;
  const cache = input.fileCache ?? new Map();
  const src = pipeline.source;
  const stepWhere = locate(src, ["steps", step.group, "config"]);
  const raw: Record<string, unknown> = {};
  const origins = new Map<string, Origin>();
  const apply = (values: Record<string, unknown>, originOf: (key: string) => Origin) => {
    mergeInto(raw, values);
    for (const k of Object.keys(values)) origins.set(k, originOf(k));
  };

  // Config files and inline mappings listed at `yamlPath` in the pipeline file, merged in order.
  const applyParts = async (parts: (string | Record<string, unknown>)[], yamlPath: (string | number)[], label: string) => {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const partPath = parts.length === 1 && !Array.isArray(src.doc.getIn(yamlPath)) ? yamlPath : [...yamlPath, i];
      if (typeof part === "string") {
        const file = await readConfigFile(root, part, `${locate(src, partPath)}: ${label}`, cache);
        apply((file.value ?? {}) as Record<string, unknown>, (k) => ({ src: file, path: [k] }));
      } else {
        apply(part, (k) => ({ src, path: [...partPath, k] }));
      }
    }
  };
  await applyParts(step.configParts, ["steps", step.group, "config"], `steps.${step.group}.config`);

  if (profile !== null) {
    const overlay = pipeline.profiles[profile];
    const star = (overlay["*"]?.[0] ?? {}) as Record<string, unknown>;
    const starForStep = Object.fromEntries(Object.entries(star).filter(([k]) => keys === null || keys.has(k)));
    apply(starForStep, (k) => ({ src, path: ["profiles", profile, "*", k] }));
    await applyParts(overlay[step.group] ?? [], ["profiles", profile, step.group], `profiles.${profile}.${step.group}`);
    if (step.id !== step.group) await applyParts(overlay[step.id] ?? [], ["profiles", profile, step.id], `profiles.${profile}.${step.id}`);
  }
  // A matrix variant's values (its `seed`, when the task has no such key, is the step's seed instead).
  const matrix = Object.fromEntries(Object.entries(step.matrix ?? {}).filter(([k]) => k !== "seed" || keys === null || keys.has(k)));
  apply(matrix, (k) => ({ src, path: ["steps", step.group, "matrix", k] }));
  for (const set of sets) {
    const top = set.key.split(".")[0];
    if (set.step === null && !(keys?.has(top) ?? false)) continue;
    if (set.step !== null && set.step !== step.id && set.step !== step.group) continue;
    const nested = set.key.split(".").reduceRight<unknown>((acc, k) => ({ [k]: acc }), set.value) as Record<string, unknown>;
    apply(nested, () => ({ cli: set.text }));
  }

  if (keys) {
    for (const k of Object.keys(raw)) {
      if (!keys.has(k)) {
        const origin = origins.get(k);
        const where = originText(origin, stepWhere, [], true);
        const known = [...keys].sort().join(", ");
        if (origin && "src" in origin && origin.path[2] === "matrix") {
          throw new UserError(`Invalid ${where}: steps.${step.group}.matrix.${k}: unknown field for task '${input.taskName}' (a matrix field is a config key or seed; known keys: ${known})`);
        }
        throw new UserError(`Invalid ${where}: steps.${step.id}.config.${k}: unknown key for task '${input.taskName}' (known keys: ${known})`);
      }
    }
  }
  return { raw, origins, stepWhere, stepId: step.id };
}

/** Validates merged values with the task's schema (applying its defaults); errors name the value's origin. */
export function validateStepConfig(merged: MergedConfig, task: TaskDefinition): Record<string, unknown> {
  const prefix = ["steps", merged.stepId, "config"];
  const parsed = task.config.safeParse(merged.raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const top = issue.path[0];
    const origin = typeof top === "string" ? merged.origins.get(top) : undefined;
    const where = originText(origin, merged.stepWhere, issue.path.slice(1) as (string | number)[]);
    throw new UserError(`Invalid ${where}: ${describeIssue(issue, merged.raw, prefix)}`);
  }
  if (!isPlainObject(parsed.data)) {
    throw new UserError(`Cannot use task '${task.name}': its config schema must produce an object, got ${formatValue(parsed.data)}`);
  }
  return parsed.data;
}

/** The step's seed: numeric `config.seed`, else the step's `seed:`, else the pipeline's (or `--seed`), else 0. */
export function effectiveSeed(config: Record<string, unknown>, step: StepSpec, pipelineSeed: number | undefined): number {
  if (typeof config.seed === "number" && Number.isFinite(config.seed)) return config.seed;
  return step.seed ?? pipelineSeed ?? 0;
}
