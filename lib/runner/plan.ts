/**
 * Planning a run: load the pipeline file and its tasks, build every step's effective config,
 * seed and fingerprint, check the store, and decide per step whether it is fresh or stale (and
 * why). `pipeline --dry-run`, `status` and the executor all start from a plan; nothing is
 * written except the external-input stat cache.
 *
 * @example
 * ```ts
 * import { makePlan } from "./plan.ts";
 * const plan = await makePlan({ root: Deno.cwd(), pipeline: "demo", profile: null, sets: [] });
 * for (const id of plan.order) console.log(id, plan.steps[id].stale, plan.steps[id].reasons);
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
import { ExternalHasher } from "./external_inputs.ts";
import { fingerprintOf, type FingerprintFields } from "./fingerprint.ts";
import { ModuleGraph } from "./module_graph.ts";
import { loadPipelineFile, type PipelineSpec, type StepSpec } from "./pipeline_file.ts";
import { readLockFile, type LockFile } from "./provenance.ts";
import { fieldChanges } from "./staleness.ts";
import { checkEntry, type Manifest } from "./store.ts";
import { checkTaskExists, loadTask, taskFile } from "./task_loader.ts";
import { locate } from "./yaml_source.ts";
import type { YamlSource } from "./yaml_source.ts";

/** What to plan. */
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

/** One planned step. */
export interface PlannedStep {
  id: string;
  spec: StepSpec;
  /** What the runner knows about the step's task (cached; see task_info_cache.ts). */
  task: TaskInfo;
  config: Record<string, unknown>;
  seed: number | null;
  fields: FingerprintFields;
  fingerprint: string;
  /** The manifest when a fresh store entry exists. */
  manifest: Manifest | null;
  /** When the entry exists but its files no longer match its manifest: one line per file, and the entry's id. */
  damaged: { problems: string[]; id: string | null } | null;
  /** In the `--only` / `--until` selection (all steps when there is none). */
  selected: boolean;
  forced: boolean;
  /** `--restart`: its saved resume state is dropped before it runs (implies forced). */
  restart: boolean;
  /** Will (re)run: selected and (forced or no fresh entry). */
  stale: boolean;
  /** Why it is stale (empty when fresh). */
  reasons: string[];
}

/** A planned run. */
export interface Plan {
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
  steps: Record<string, PlannedStep>;
  previous: LockFile | null;
  /** Resolved tensor backend, when some step uses tensors and it could be resolved. */
  backend: { name: string; note: string } | null;
  /** Why the backend could not be resolved (tensor steps then fail with this message). */
  backendError: string | null;
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

/** Plans a run (see the module doc). Throws {@link UserError} for anything wrong in the inputs. */
export async function makePlan(options: PlanOptions): Promise<Plan> {
  const { root } = options;
  const pipeline = await loadPipelineFile(root, options.pipeline);
  const order = topologicalOrder(pipeline.steps, pipeline.source.file);
  const stepIds = Object.keys(pipeline.steps);
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
  const sets: SetArg[] = options.sets.map((s) => parseSetArg(s, [...stepIds, ...Object.keys(pipeline.groups)]));

  const graph = await ModuleGraph.create(root, runnerConfigPath, join(storeDir(root), "imports-cache.json"));
  const infoCache = await TaskInfoCache.open(root);
  const taskWhere = (id: string) => {
    const group = pipeline.steps[id].group;
    return `${locate(pipeline.source, ["steps", group, "task"])}: steps.${group}.task`;
  };

  // Per task: its code closure, a digest of that code, and its facts (imported only on a cache miss).
  interface TaskFacts {
    sources: Record<string, string>;
    npm: Record<string, string>;
    codeDigest: string;
    info: TaskInfo;
  }
  const factsByTask = new Map<string, Promise<TaskFacts>>();
  const taskFacts = (id: string): Promise<TaskFacts> => {
    const name = pipeline.steps[id].task;
    let promise = factsByTask.get(name);
    if (!promise) {
      promise = (async () => {
        await checkTaskExists(root, name, taskWhere(id));
        const { sources, npm } = await graph.closure(taskFile(root, name));
        const codeDigest = sha256Hex(canonicalJson({ task: name, sources, npm }));
        let info = infoCache.task(codeDigest);
        if (!info) {
          const def = await loadTask(root, name, taskWhere(id));
          const keys = schemaKeys(def.config);
          info = infoCache.putTask(codeDigest, { name: def.name, description: def.description, usesTensors: def.usesTensors === true, usesSeed: def.usesSeed !== false, resolvesInputs: def.resolveInputs !== undefined, keys: keys ? [...keys] : null });
        }
        return { sources, npm, codeDigest, info };
      })();
      factsByTask.set(name, promise);
    }
    return promise;
  };
  const facts: Record<string, TaskFacts> = {};
  for (const id of order) facts[id] = await taskFacts(id);
  for (const id of order) {
    const spec = pipeline.steps[id];
    if (spec.matrix && "seed" in spec.matrix && !facts[id].info.usesSeed && !facts[id].info.keys?.includes("seed")) {
      throw new UserError(`Invalid ${locate(pipeline.source, ["steps", spec.group, "matrix", "seed"], true)}: steps.${spec.group}.matrix.seed: task '${facts[id].info.name}' declares usesSeed: false, so a seed matrix would repeat one result`);
    }
  }
  // Tensor tasks also run the backend's code (kernels, registration), which the runner loads,
  // not the task: it joins their sources so a kernel change re-runs exactly the tensor steps.
  const backendCode = order.some((id) => facts[id].info.usesTensors) ? await graph.closure(fileURLToPath(backendModuleUrl)) : null;

  for (const set of sets) {
    if (set.step !== null) continue;
    const top = set.key.split(".")[0];
    if (!order.some((id) => facts[id].info.keys?.includes(top))) {
      throw new UserError(`Cannot apply --set '${set.text}': no step of pipeline '${pipeline.name}' has a config field '${top}' (use <step>.<key>=<value> for one step)`);
    }
  }

  let backend: Plan["backend"] = null;
  let backendError: string | null = null;
  if (order.some((id) => facts[id].info.usesTensors) || (options.profile === null && pipeline.defaultProfile)) {
    const requested = options.backend ?? Deno.env.get("EBM_BACKEND") ?? "auto";
    try {
      backend = await resolveBackend(requested);
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

  const hasher = await ExternalHasher.open(root);
  const fileCache = new Map<string, Promise<YamlSource>>();
  const pipelineSeed = options.seed ?? pipeline.seed;
  const seedNotes: string[] = [];
  const selection = options.only ? new Set(options.only)
    : options.until ? new Set(options.until.flatMap((id) => [...upstreamClosure(pipeline.steps, id)]))
    : new Set(order);
  const previous = await readLockFile(root, pipeline.name);

  const steps: Record<string, PlannedStep> = {};
  for (const id of order) {
    const spec = pipeline.steps[id];
    const { sources, npm, codeDigest, info } = facts[id];
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
    const external: Record<string, string> = {};
    const resolved = info.resolvesInputs ? await resolveStepInputs(root, spec.task, config, id, locate(pipeline.source, ["steps", spec.group]), taskWhere(id)) : [];
    for (const path of [...validated.external, ...resolved]) {
      try {
        external[path] = await hasher.hash(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw new UserError(`Invalid ${locate(pipeline.source, ["steps", spec.group])}: steps.${id}: external input '${path}' of task '${info.name}' does not exist`);
        }
        throw e;
      }
    }
    const upstream = Object.fromEntries(spec.needs.map((n) => [n, steps[n].fingerprint]));
    const runtime: FingerprintFields["runtime"] = { deno: Deno.version.deno };
    if (info.usesTensors) runtime.backend = backend?.name ?? `unresolved (${backendError})`;
    const code = info.usesTensors && backendCode
      ? { sources: sortedUnion(sources, backendCode.sources), npm: sortedUnion(npm, backendCode.npm) }
      : { sources, npm };
    const fields: FingerprintFields = { ...code, config, seed, upstream, external, runtime };
    const fingerprint = fingerprintOf(fields);
    const entry = await checkEntry(root, fingerprint);
    const manifest = entry.state === "fresh" ? entry.manifest : null;
    const damaged = entry.state === "damaged" ? { problems: entry.problems, id: entry.id } : null;
    const selected = selection.has(id);
    const restart = selected && (options.restart === true || (Array.isArray(options.restart) && options.restart.includes(id)));
    const forced = restart || (selected && (options.force === true || (Array.isArray(options.force) && options.force.includes(id))));
    const stale = selected && (forced || manifest === null);
    steps[id] = { id, spec, task: info, config, seed, fields, fingerprint, manifest, damaged, selected, forced, restart, stale, reasons: [] };
  }
  await hasher.save();
  await infoCache.save();
  await graph.save();

  for (const id of order) {
    const step = steps[id];
    if (step.restart) step.reasons = ["restarted (saved state dropped)"];
    else if (step.forced) step.reasons = ["forced"];
    else if (step.damaged) step.reasons = [`damaged cached output (${step.damaged.problems.join("; ")})`];
    else if (step.manifest === null) {
      const last = previous?.steps[id];
      const changes = last && last.fingerprint !== step.fingerprint
        ? fieldChanges(last.fields, step.fields, (up) => steps[up].manifest === null || steps[up].forced)
        : [];
      step.reasons = changes.length > 0 ? changes : [last ? "no cached output" : "never ran (no cached output)"];
    }
  }
  return { root, pipeline, profile, profileNote, seedNotes, order, steps, previous, backend, backendError };
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

/** Two name → version/hash records as one, keys sorted (canonical order for display). */
function sortedUnion(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = { ...a, ...b };
  return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
}
