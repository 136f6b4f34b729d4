/**
 * The PyTorch side of a benchmark: runs a `bench/*.py` script with Debian's `/usr/bin/python3` in
 * the same command as our timings, and parses the JSON it prints. PyTorch is a benchmark reference
 * only, never a runtime dependency or needed by a test: when `import torch` fails, this returns
 * null and says so, with how to get it.
 *
 * @example
 * ```ts ignore
 * import { runTorchReference } from "./torch_reference.ts";
 * const rows = await runTorchReference<{ ms: number }>("tensor_bench.py", ["--reps", "5"]);
 * if (rows === null) console.log("no PyTorch: ratios are null");
 * ```
 * @module
 */

/** The interpreter the references run with (Debian's, where `python3-torch` installs torch). */
export const REFERENCE_PYTHON = "/usr/bin/python3";

/** Why the reference is missing, or null when `import torch` works. */
export async function torchMissing(): Promise<string | null> {
  try {
    const probe = await new Deno.Command(REFERENCE_PYTHON, { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).output();
    return probe.success ? null : `${REFERENCE_PYTHON} cannot import torch`;
  } catch {
    return `${REFERENCE_PYTHON} is not installed`;
  }
}

/**
 * Runs `bench/<script>` with `args` and returns its JSON output, or null (after one line on
 * stdout saying why and how to get PyTorch: `sudo apt-get install python3-torch`) when PyTorch
 * is missing. A script that fails throws with its last stderr line.
 */
export async function runTorchReference<T>(script: string, args: string[]): Promise<T | null> {
  const missing = await torchMissing();
  if (missing !== null) {
    console.log(`PyTorch reference not available (${missing}; Debian: sudo apt-get install python3-torch): its timings and ratios are left out`);
    return null;
  }
  const path = new URL(`./${script}`, import.meta.url).pathname;
  const out = await new Deno.Command(REFERENCE_PYTHON, { args: [path, ...args], stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`Cannot run the PyTorch reference (${path}): ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as T;
}
