/**
 * Finds and imports `<root>/tasks/<name>.ts` and checks that its default export is a task
 * definition made with `defineTask` (see `lib/task.ts`).
 *
 * @example
 * ```ts
 * import { loadTask, taskFile } from "./task_loader.ts";
 * const task = await loadTask("/work/main", "demo-generate", "pipelines/demo.yaml:5:11");
 * console.log(task.description, taskFile("/work/main", "demo-generate"));
 * ```
 * @module
 */
import { join } from "node:path";
import type { TaskDefinition } from "../task.ts";
import { UserError } from "./errors.ts";
import { exists } from "../util/fs.ts";

const taskNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Absolute path of the module of task `name`. */
export function taskFile(root: string, name: string): string {
  return join(root, "tasks", `${name}.ts`);
}

/** Throws a {@link UserError} (prefixed by `where`) unless `tasks/<name>.ts` exists. */
export async function checkTaskExists(root: string, name: string, where: string): Promise<void> {
  if (!taskNamePattern.test(name) || !(await exists(taskFile(root, name)))) {
    throw new UserError(`Invalid ${where}: unknown task '${name}' (no file tasks/${name}.ts)`);
  }
}

const loaded = new Map<string, Promise<TaskDefinition>>();

/**
 * Imports task `name` once per process. `where` (e.g. `pipelines/demo.yaml:5:11: steps.a.task`)
 * prefixes errors so they name the place that asked for the task.
 */
export function loadTask(root: string, name: string, where: string): Promise<TaskDefinition> {
  const key = `${root}\0${name}`;
  let promise = loaded.get(key);
  if (!promise) {
    promise = importTask(root, name, where);
    loaded.set(key, promise);
  }
  return promise;
}

async function importTask(root: string, name: string, where: string): Promise<TaskDefinition> {
  await checkTaskExists(root, name, where);
  const file = taskFile(root, name);
  let module: Record<string, unknown>;
  try {
    module = await import(new URL(`file://${file}`).href);
  } catch (e) {
    throw new UserError(`Cannot load task '${name}' from tasks/${name}.ts: ${(e as Error).message}`);
  }
  const def = module.default as Partial<TaskDefinition> | undefined;
  const problem = !def || typeof def !== "object"
    ? "it has no default export"
    : typeof def.run !== "function"
    ? "its default export has no run(ctx) function"
    : !def.config || typeof (def.config as { safeParse?: unknown }).safeParse !== "function"
    ? "its default export has no zod 'config' schema"
    : def.name !== name
    ? `its name is '${def.name}' but the file is tasks/${name}.ts`
    : null;
  if (problem) throw new UserError(`Cannot load task '${name}' from tasks/${name}.ts: ${problem} (use defineTask from lib/task.ts)`);
  return def as TaskDefinition;
}
