/**
 * The project's own C kernels (`lib/tensor/native/c/`), compiled with gcc on first use into a
 * cache directory and opened through Deno FFI. The cache key is a sha256 over the source, the
 * compiler flags, the compiler's version line and this CPU's identity (the build targets
 * `-march=native`), so an edited source, a new compiler or another machine type gets a fresh
 * build and nothing stale is ever loaded. Builds go to a temporary file renamed into place, so
 * processes that build at once never see a half-written library.
 *
 * Cache directory: `EBM_NATIVE_BUILD_DIR`, else `$XDG_CACHE_HOME/ebm-anatomy-pipelines/native`,
 * else `~/.cache/ebm-anatomy-pipelines/native`. The compiler is `gcc` (Debian/Ubuntu:
 * `apt-get install gcc`); without it the build fails with an error that says so.
 *
 * @example
 * ```ts
 * const path = buildCLibrary(DENSE_NET_SOURCE);           // compiles once per source/flags/CPU
 * const lib = Deno.dlopen(path, { my_fn: { parameters: [], result: "i32" } } as const);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { readEnv } from "../../util/env.ts";

/** The fused dense Langevin chain's source (part of every tensor step's fingerprint through this URL). */
export const DENSE_NET_SOURCE: URL = new URL("./c/dense_net.c", import.meta.url);

/** The thin-layer input gradient's source (see `kernels/thin_conv.ts`). */
export const THIN_CONV_SOURCE: URL = new URL("./c/thin_conv.c", import.meta.url);

/** The env var naming the build cache directory. */
export const BUILD_DIR_ENV = "EBM_NATIVE_BUILD_DIR";

/** The compiler and its flags (OpenMP for the row blocks, native ISA for the vector tiles). */
export const C_COMPILER = "gcc";
export const C_FLAGS: readonly string[] = ["-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-std=gnu11"];

function sha256Hex(parts: (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(typeof p === "string" ? p + "\0" : p);
  return hash.digest("hex");
}

/** This CPU's model name and feature flags (what -march=native compiles for), or "" where unreadable. */
function cpuIdentity(): string {
  try {
    const text = Deno.readTextFileSync("/proc/cpuinfo");
    const first = text.split("\n\n")[0];
    return first.split("\n").filter((l) => /^(vendor_id|model name|flags)\s*:/.test(l)).join("\n");
  } catch {
    return "";
  }
}

function cacheRoot(): string {
  const explicit = readEnv(BUILD_DIR_ENV);
  if (explicit) return explicit;
  const xdg = readEnv("XDG_CACHE_HOME");
  const home = readEnv("HOME");
  if (xdg) return `${xdg}/ebm-anatomy-pipelines/native`;
  if (home) return `${home}/.cache/ebm-anatomy-pipelines/native`;
  throw new Error(`Cannot build the native C kernels: no cache directory (set ${BUILD_DIR_ENV}, XDG_CACHE_HOME or HOME)`);
}

/** Runs the compiler synchronously; throws an error naming the missing compiler or the compiler's message. */
function compile(args: string[]): { ok: true; stdout: string } | { ok: false; message: string } {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command(C_COMPILER, { args, stdout: "piped", stderr: "piped" }).outputSync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { ok: false, message: `the C compiler '${C_COMPILER}' was not found (Debian/Ubuntu: apt-get install ${C_COMPILER})` };
    }
    return { ok: false, message: `cannot run '${C_COMPILER}': ${(error as Error).message.split("\n")[0]}` };
  }
  const text = new TextDecoder();
  if (!out.success) return { ok: false, message: `'${C_COMPILER} ${args.join(" ")}' failed:\n${text.decode(out.stderr).trim()}` };
  return { ok: true, stdout: text.decode(out.stdout) };
}

const built = new Map<string, string>();

/**
 * The path of the shared library built from `source` (a file URL), compiling it when this
 * source/flags/compiler/CPU combination has no cached build yet. Throws a one-paragraph error
 * when the compiler is missing or the build fails.
 */
export function buildCLibrary(source: URL): string {
  const cached = built.get(source.href);
  if (cached) return cached;
  const what = source.pathname.split("/").pop() ?? source.pathname;
  const version = compile(["--version"]);
  if (!version.ok) throw new Error(`Cannot build the native kernel ${what}: ${version.message}`);
  const code = Deno.readFileSync(source);
  const key = sha256Hex([code, C_FLAGS.join(" "), version.stdout.split("\n")[0], cpuIdentity()]);
  const dir = `${cacheRoot()}/${key.slice(0, 32)}`;
  const path = `${dir}/${what.replace(/\.c$/, "")}.so`;
  try {
    Deno.statSync(path);
  } catch {
    Deno.mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
    const result = compile([...C_FLAGS, "-o", tmp, source.pathname, "-lm"]);
    if (!result.ok) {
      try {
        Deno.removeSync(tmp);
      } catch { /* nothing was written */ }
      throw new Error(`Cannot build the native kernel ${what}: ${result.message}`);
    }
    Deno.renameSync(tmp, path);
  }
  built.set(source.href, path);
  return path;
}
