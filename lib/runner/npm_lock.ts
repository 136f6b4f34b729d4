/**
 * Versions of npm packages as pinned by `deno.lock` (lock format v4/v5): a package's resolved
 * version and the transitive closure of its dependencies, so a task's fingerprint changes when
 * anything it can reach on npm is upgraded.
 *
 * @example
 * ```ts
 * import { NpmLock } from "./npm_lock.ts";
 * const lock = await NpmLock.read("/work/main/deno.lock");
 * lock.closure("zod", "4.6.7"); // { zod: "4.6.7" }
 * ```
 * @module
 */
import { readJson, exists } from "../util/fs.ts";

interface LockFile {
  specifiers?: Record<string, string>;
  npm?: Record<string, { dependencies?: string[]; optionalDependencies?: string[] }>;
}

/** Splits `npm:@scope/name@1.2.3/sub/path` (or `npm:/…`) into package name and version request. */
export function parseNpmSpecifier(spec: string): { name: string; request: string } {
  const body = spec.replace(/^npm:\/?/, "");
  const scoped = body.startsWith("@");
  const nameEnd = scoped ? body.indexOf("/", body.indexOf("/") + 1) : body.indexOf("/");
  const head = nameEnd < 0 ? body : body.slice(0, nameEnd);
  const at = head.indexOf("@", scoped ? 1 : 0);
  return at < 0 ? { name: head, request: "" } : { name: head.slice(0, at), request: head.slice(at + 1) };
}

/** The npm part of a deno.lock. */
export class NpmLock {
  #specifiers: Record<string, string>;
  #packages: LockFile["npm"] & object;
  #byName = new Map<string, string[]>();

  private constructor(lock: LockFile) {
    this.#specifiers = lock.specifiers ?? {};
    this.#packages = lock.npm ?? {};
    for (const key of Object.keys(this.#packages)) {
      const { name } = parseNpmSpecifier(key);
      const list = this.#byName.get(name) ?? [];
      list.push(key);
      this.#byName.set(name, list);
    }
  }

  /** Reads `path`; a missing lock file gives an empty lock (versions then come from requests). */
  static async read(path: string): Promise<NpmLock> {
    return new NpmLock(await exists(path) ? await readJson<LockFile>(path) : {});
  }

  /** Package name → version for `name@request` and everything it depends on. */
  closure(name: string, request: string): Record<string, string> {
    const out: Record<string, Set<string>> = {};
    const resolved = this.#specifiers[`npm:${name}@${request}`] ?? this.#specifiers[`npm:${name}`];
    const start = resolved !== undefined ? `${name}@${resolved}` : this.#uniqueKey(name);
    if (start === undefined || !(start in this.#packages)) return { [name]: request || "unlocked" };
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length) {
      const key = stack.pop()!;
      if (seen.has(key)) continue;
      seen.add(key);
      const { name: n, request: version } = parseNpmSpecifier(key);
      (out[n] ??= new Set()).add(version.split("_")[0]);
      const entry = this.#packages[key];
      for (const dep of [...(entry?.dependencies ?? []), ...(entry?.optionalDependencies ?? [])]) {
        const depKey = dep in this.#packages ? dep : this.#uniqueKey(parseNpmSpecifier(dep).name);
        if (depKey) stack.push(depKey);
      }
    }
    return Object.fromEntries(Object.entries(out).map(([n, v]) => [n, [...v].sort().join(", ")]));
  }

  #uniqueKey(name: string): string | undefined {
    const keys = this.#byName.get(name);
    return keys && keys.length >= 1 ? keys[0] : undefined;
  }
}
