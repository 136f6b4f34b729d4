/**
 * Planning, phase 1 of 3 — resolve: load the pipeline file, check the command-line selection,
 * learn each step's task (its code closure and declared facts, from the task-info cache when the
 * code is unchanged), pick the backend and profile, and build every step's effective config,
 * seed and external input paths. Nothing here hashes outputs or looks at the store; phase 2
 * (`fingerprint.ts`) and phase 3 (`freshness.ts`) follow, composed by `plan.ts`.
 *
 * @example
 * ```ts
 * import { resolveRun } from "./plan_resolve.ts";
 * const run = await resolveRun({ root: Deno.cwd(), pipeline: "demo", profile: null, sets: [] });
 * for (const id of run.order) console.log(id, run.steps[id].task.name, run.steps[id].config);
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runnerConfigPath, storeDir } from "./paths.ts";
import { backendModuleUrl, resolveBackend } from "./backend_bridge.ts";
import { topologicalOrder, upstreamClosure } from "./dag.ts";
import { effectiveSeed, mergeStepConfig, parseSetArg, schemaKeys, type SetArg, validateStepConfig } from "./effective_config.ts";
import { canonicalJson, sha256Hex } from "./hashing.ts";
import { TaskInfoCache, type TaskInfo } from "./task_info_cache.ts";
import { UserError } from "./errors.ts";
import type { CodeClosure } from "./fingerprint.ts";
import { ModuleGraph } from "./module_graph.ts";
import { loadPipelineFile, type PipelineSpec, type StepSpec } from "./pipeline_file.ts";
import { checkTaskExists, loadTask, taskFile } from "./task_loader.ts";
import { locate, type YamlSource } from "./yaml_source.ts";

/** What to plan (the command line, minus output options). */
export interface PlanOptions {
  root: string;
  pipeline: string;
  profile: string | null;
  /** Raw `--set` arguments (`key=value` or `step.key=value`). */
  sets: string[];
  /** `--seed`: replaces the pipeline's `seed:`. */
  seed?: number;
  /** `--backend` (else env EBM_BACKEND, else "auto"). */
  backend?: string;
  /** `--force` (true = every selected step) or `--force=<step>` ids. */
  force?: boolean | string[];
  /** `--restart` (true = every selected step) or `--restart=<step>` ids: forced, with saved state dropped. */
  restart?: boolean | string[];
  /** `--only` ids: run just these steps (their upstream must be fresh). */
  only?: string[];
  /** `--until` ids: run these steps and what they need. */
  until?: string[];
}

/** One step after phase 1. */
export interface ResolvedStep {
  id: string;
  spec: StepSpec;
  /** What the runner knows about the step's task (cached; see task_info_cache.ts). */
  task: TaskInfo;
  /** The task module's code closure (without the backend's). */
  code: CodeClosure;
  config: Record<string, unknown>;
  seed: number | null;
  /** External input paths: the task's `externalInputs(config)` and, if declared, `resolveInputs`. */
  externalPaths: string[];
  /** In the `--only` / `--until` selection (all steps when there is none). */
  selected: boolean;
}

/** A run after phase 1. */
export interface ResolvedRun {
  root: string;
  pipeline: PipelineSpec;
  profile: string | null;
  /** Why `profile` was chosen when the user gave none (the pipeline's default_profile), else null. */
  profileNote: string | null;
  /**
   * With `--seed`: one line per selected step whose seed does not follow it (its config or its
   * `seed:` pins one), so a user does not take a cached rerun for a new seed.
   */
  seedNotes: string[];
  order: string[];
  steps: Record<string, ResolvedStep>;
  /** Resolved tensor backend, when some step uses tensors and it could be resolved. */
  backend: { name: string; note: string } | null;
  /** Why the backend could not be resolved (tensor steps then fail with this message). */
  backendError: string | null;
  /** The closure of the tensor backend's code, when some step uses tensors. */
  backendCode: CodeClosure | null;
  /** `--force` / `--restart` with matrix step names expanded to their variants' ids. */
  flags: { force?: boolean | string[]; restart?: boolean | string[] };
}

/**
 * Checks step names given on the command line and expands a matrix step's name into its variants'
 * ids (a variant id stays itself).
 */
function expandStepNames(pipeline: PipelineSpec, ids: string[] | undefined, flag: string): string[] | undefined {
  if (ids === undefined) return undefined;
  return ids.flatMap((id) => {
    if (id in pipeline.steps) return [id];
    if (id in pipeline.groups) return pipeline.groups[id];
    throw new UserError(`Cannot use ${flag} ${id}: pipeline '${pipeline.name}' has no step '${id}' (steps: ${Object.keys(pipeline.steps).join(", ")})`);
  });
}

/** A task's code closure, a digest of it, and its facts (the module is imported only on a cache miss). */
interface TaskFacts {
  code: CodeClosure;
  codeDigest: string;
  info: TaskInfo;
}

/** Phase 1 (see the module doc). Throws {@link UserError} for anything wrong in the inputs. */
export async function resolveRun(options: PlanOptions): Promise<ResolvedRun> {
  const { root } = options;
  const pipeline = await loadPipelineFile(root, options.pipeline);
  const order = topologicalOrder(pipeline.steps, pipeline.source.file);
  if (options.profile !== null && !(options.profile in pipeline.profiles)) {
    const known = Object.keys(pipeline.profiles);
    throw new UserError(`Cannot use --profile ${options.profile}: ${pipeline.source.file} defines ${known.length ? `only ${known.join(", ")}` : "no profiles"}`);
  }
  options = {
    ...options,
    only: expandStepNames(pipeline, options.only, "--only"),
    until: expandStepNames(pipeline, options.until, "--until"),
    force: Array.isArray(options.force) ? expandStepNames(pipeline, options.force, "--force") : options.force,
    restart: Array.isArray(options.restart) ? expandStepNames(pipeline, options.restart, "--restart") : options.restart,
  };
  const sets: SetArg[] = options.sets.map((s) => parseSetArg(s, [...Object.keys(pipeline.steps), ...Object.keys(pipeline.groups)]));
  const taskWhere = (id: string) => {
    const group = pipeline.steps[id].group;
    return `${locate(pipeline.source, ["steps", group, "task"])}: steps.${group}.task`;
  };

  const graph = await ModuleGraph.create(root, runnerConfigPath, join(storeDir(root), "imports-cache.json"));
  const infoCache = await TaskInfoCache.open(root);
  const facts = await taskFactsOf(root, pipeline, order, graph, infoCache, taskWhere);
  for (const id of order) {
    const spec = pipeline.steps[id];
    if (spec.matrix && "seed" in spec.matrix && !facts[id].info.usesSeed && !facts[id].info.keys?.includes("seed")) {
      throw new UserError(`Invalid ${locate(pipeline.source, ["steps", spec.group, "matrix", "seed"], true)}: steps.${spec.group}.matrix.seed: task '${facts[id].info.name}' declares usesSeed: false, so a seed matrix would repeat one result`);
    }
  }
  const usesTensors = order.some((id) => facts[id].info.usesTensors);
  // Tensor tasks also run the backend's code (kernels, registration), which the runner loads,
  // not the task: phase 2 joins it to their sources so a kernel change re-runs exactly them.
  const backendCode = usesTensors ? await graph.closure(fileURLToPath(backendModuleUrl)) : null;

  for (const set of sets) {
    if (set.step !== null) continue;
    const top = set.key.split(".")[0];
    if (!order.some((id) => facts[id].info.keys?.includes(top))) {
      throw new UserError(`Cannot apply --set '${set.text}': no step of pipeline '${pipeline.name}' has a config field '${top}' (use <step>.<key>=<value> for one step)`);
    }
  }

  let backend: ResolvedRun["backend"] = null;
  let backendError: string | null = null;
  if (usesTensors || (options.profile === null && pipeline.defaultProfile)) {
    try {
      backend = await resolveBackend(options.backend ?? Deno.env.get("EBM_BACKEND") ?? "auto");
    } catch (e) {
      backendError = (e as Error).message;
    }
  }
  let profile = options.profile;
  let profileNote: string | null = null;
  if (profile === null && pipeline.defaultProfile) {
    const gpu = backend?.name === "tensorflow";
    profile = gpu ? pipeline.defaultProfile.gpu : pipeline.defaultProfile.cpu;
    profileNote = `profile ${profile} (no --profile given; backend ${backend?.name ?? "unresolved"} ${gpu ? "runs on a GPU" : "is CPU-only"}, ` +
      `so ${pipeline.source.file} default_profile.${gpu ? "gpu" : "cpu"} applies)`;
  }

  const selection = options.only ? new Set(options.only)
    : options.until ? new Set(options.until.flatMap((id) => [...upstreamClosure(pipeline.steps, id)]))
    : new Set(order);
  const pipelineSeed = options.seed ?? pipeline.seed;
  const seedNotes: string[] = [];
  const fileCache = new Map<string, Promise<YamlSource>>();
  const steps: Record<string, ResolvedStep> = {};
  for (const id of order) {
    const spec = pipeline.steps[id];
    const { code, codeDigest, info } = facts[id];
    const keys = info.keys ? new Set(info.keys) : null;
    const merged = await mergeStepConfig({ root, pipeline, step: spec, taskName: info.name, keys, profile, sets, fileCache });
    const configKey = sha256Hex(canonicalJson({ codeDigest, raw: merged.raw }));
    let validated = infoCache.config(configKey);
    if (!validated) {
      const task = await loadTask(root, spec.task, taskWhere(id));
      const config = validateStepConfig(merged, task);
      validated = infoCache.putConfig(configKey, { config, external: task.externalInputs?.(config) ?? [] });
    }
    const config = validated.config;
    const seed = info.usesSeed ? effectiveSeed(config, spec, pipelineSeed) : null;
    if (options.seed !== undefined && seed !== null && seed !== options.seed && selection.has(id)) {
      seedNotes.push(
        typeof config.seed === "number"
          ? `${id} keeps seed ${seed}: its config's 'seed' wins over --seed ${options.seed}; --set ${id}.seed=${options.seed} changes it`
          : `${id} keeps seed ${seed}: its 'seed:' in ${pipeline.source.file} wins over --seed ${options.seed}; edit steps.${id}.seed there to change it`,
      );
    }
    const resolved = info.resolvesInputs ? await resolveStepInputs(root, spec.task, config, id, locate(pipeline.source, ["steps", spec.group]), taskWhere(id)) : [];
    steps[id] = { id, spec, task: info, code, config, seed, externalPaths: [...validated.external, ...resolved], selected: selection.has(id) };
  }
  await infoCache.save();
  await graph.save();
  return { root, pipeline, profile, profileNote, seedNotes, order, steps, backend, backendError, backendCode, flags: { force: options.force, restart: options.restart } };
}

async function taskFactsOf(
  root: string,
  pipeline: PipelineSpec,
  order: string[],
  graph: ModuleGraph,
  infoCache: TaskInfoCache,
  taskWhere: (id: string) => string,
): Promise<Record<string, TaskFacts>> {
  const byTask = new Map<string, Promise<TaskFacts>>();
  const factsOf = (id: string): Promise<TaskFacts> => {
    const name = pipeline.steps[id].task;
    let promise = byTask.get(name);
    if (!promise) {
      promise = (async () => {
        await checkTaskExists(root, name, taskWhere(id));
        const code = await graph.closure(taskFile(root, name));
        const codeDigest = sha256Hex(canonicalJson({ task: name, sources: code.sources, npm: code.npm }));
        let info = infoCache.task(codeDigest);
        if (!info) {
          const def = await loadTask(root, name, taskWhere(id));
          const keys = schemaKeys(def.config);
          info = infoCache.putTask(codeDigest, {
            name: def.name,
            description: def.description,
            usesTensors: def.usesTensors === true,
            usesSeed: def.usesSeed !== false,
            resolvesInputs: def.resolveInputs !== undefined,
            afterRun: def.afterRun !== undefined,
            keys: keys ? [...keys] : null,
          });
        }
        return { code: { sources: code.sources, npm: code.npm }, codeDigest, info };
      })();
      byTask.set(name, promise);
    }
    return promise;
  };
  const facts: Record<string, TaskFacts> = {};
  for (const id of order) facts[id] = await factsOf(id);
  return facts;
}

/** The machine-dependent inputs of step `id` (its task's `resolveInputs`); a failure is the user's, located at the step. */
async function resolveStepInputs(root: string, taskName: string, config: Record<string, unknown>, id: string, where: string, taskWhereText: string): Promise<string[]> {
  const task = await loadTask(root, taskName, taskWhereText);
  try {
    return await task.resolveInputs!(config);
  } catch (e) {
    throw new UserError(`Invalid ${where}: steps.${id}: ${(e as Error).message}`);
  }
}
