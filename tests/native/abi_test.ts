/**
 * Re-checks the hand-written oneDNN ABI (struct sizes, offsets, enum values in
 * lib/tensor/native/abi.ts) against the installed headers by compiling a tiny C program.
 * Needs the headers (Debian libdnnl-dev) and a C compiler; without them it says so and checks
 * only that the values are self-consistent, since the runtime library alone carries no layout
 * information.
 */
import { assert, assertEquals } from "../assert.ts";
import { ABI, ABI_C_NAMES } from "../../lib/tensor/native/abi.ts";

const HEADER = "/usr/include/oneapi/dnnl/dnnl_types.h";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("native ABI constants match the installed oneDNN headers", async () => {
  if (!(await exists(HEADER))) {
    console.warn(`note: ${HEADER} not found (install libdnnl-dev to re-check the ABI against headers)`);
    assertEquals(ABI.sizes.execArg, ABI.offsets.execArgMemory + 8, "dnnl_exec_arg_t is {int; pointer}");
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "dnnl_abi_" });
  try {
    const body = ABI_C_NAMES.map(([name]) => `  printf("%ld\\n", (long)(${name}));`).join("\n");
    await Deno.writeTextFile(
      `${dir}/abi.c`,
      `#include <stdio.h>\n#include <stddef.h>\n#include <oneapi/dnnl/dnnl.h>\nint main(void) {\n${body}\n  return 0;\n}\n`,
    );
    const compile = await new Deno.Command("cc", { args: [`${dir}/abi.c`, "-o", `${dir}/abi`], stderr: "piped" }).output();
    assert(compile.success, `cc failed to compile the ABI probe: ${new TextDecoder().decode(compile.stderr)}`);
    const run = await new Deno.Command(`${dir}/abi`, { stdout: "piped" }).output();
    assert(run.success, "the ABI probe exited non-zero");
    const printed = new TextDecoder().decode(run.stdout).trim().split("\n").map(Number);
    const mismatches = ABI_C_NAMES.filter(([, value], i) => printed[i] !== value)
      .map(([name, value]) => `${name}: abi.ts has ${value}, headers say ${printed[ABI_C_NAMES.findIndex(([n]) => n === name)]}`);
    assertEquals(mismatches, [], "ABI mismatches");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
