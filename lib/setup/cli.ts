/**
 * `deno task setup` (and the first half of `deno task test`): makes sure the system packages of
 * `system_packages.ts` are installed. Installed: says nothing more than one line. Missing, as root
 * on Debian/Ubuntu: `apt-get update` then `apt-get install` (about 250 MB of downloads on a new
 * machine, mostly Chromium). Missing otherwise: prints the exact command and exits 1.
 *
 * Flags: `--check` (never install; exit 1 when something is missing), `--list` (print the names).
 *
 * @example
 * ```sh
 * deno run -R -E --allow-sys --allow-run lib/setup/cli.ts --check
 * ```
 * @module
 */
import { SYSTEM_PACKAGES } from "./system_packages.ts";

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
    return { ok: r.success, out: new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, out: `${cmd}: not found` };
    throw e;
  }
}

/** Names of the packages dpkg does not list as installed (all of them when there is no dpkg). */
export async function missingPackages(names: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    const r = await run("dpkg-query", ["-W", "-f=${Status}", name]);
    if (!r.ok || !r.out.includes("install ok installed")) missing.push(name);
  }
  return missing;
}

async function main(args: string[]): Promise<number> {
  const known = new Set(["--check", "--list"]);
  const unknown = args.filter((a) => !known.has(a));
  if (unknown.length > 0) {
    console.error(`Cannot read the command line: unknown argument '${unknown[0]}' (known: --check, --list)`);
    return 2;
  }
  const names = SYSTEM_PACKAGES.map((p) => p.name);
  if (args.includes("--list")) {
    console.log(names.join(" "));
    return 0;
  }
  const hasDpkg = (await run("dpkg-query", ["--version"])).ok;
  const missing = await missingPackages(names);
  if (missing.length === 0) {
    console.log(`setup: the system packages the tests need are installed (${names.join(", ")})`);
    return 0;
  }
  const why = SYSTEM_PACKAGES.filter((p) => missing.includes(p.name)).map((p) => `  ${p.name}: ${p.why}`).join("\n");
  const command = `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  const isRoot = Deno.uid?.() === 0;
  const hasApt = hasDpkg && (await run("apt-get", ["--version"])).ok;
  if (args.includes("--check") || !isRoot || !hasApt) {
    console.error(
      `setup: the tests need system packages that are missing:\n${why}\n` +
        (hasApt ? `Install them with:\n  ${command}` : `This is not a Debian/Ubuntu system (no dpkg/apt-get): install the equivalents of the packages above with its package manager.`),
    );
    return 1;
  }
  console.log(`setup: installing the system packages the tests need (first run on this machine; Chromium is the bulk of the download):\n${why}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const started = performance.now();
  for (const step of [["update", "-qq"], ["install", "-y", "-qq", "--no-install-recommends", ...missing]]) {
    const r = await new Deno.Command("apt-get", { args: step, env, stdout: "inherit", stderr: "inherit" }).output();
    if (!r.success) {
      console.error(`setup: 'apt-get ${step.join(" ")}' failed (exit ${r.code}); run it by hand to see why: ${command}`);
      return 1;
    }
  }
  const still = await missingPackages(missing);
  if (still.length > 0) {
    console.error(`setup: apt-get finished but ${still.join(", ")} is still not installed`);
    return 1;
  }
  console.log(`setup: installed ${missing.join(", ")} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
