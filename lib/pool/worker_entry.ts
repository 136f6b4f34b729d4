/**
 * The module every pool thread runs: it imports the requested worker module (once per thread,
 * cached by the module system) and calls the named export.
 * @module
 */

/** Message sent by {@link import("./pool.ts").createPool}'s `run`. */
export interface WorkerCall {
  file: string;
  name: string;
  arg: unknown;
}

export default async function dispatch({ file, name, arg }: WorkerCall): Promise<unknown> {
  const module = await import(file);
  const fn = module[name];
  if (typeof fn !== "function") throw new Error(`Cannot run '${name}': worker module ${file} has no such exported function`);
  return await fn(arg);
}
