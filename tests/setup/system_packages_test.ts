/**
 * The test command's set-up list (lib/setup/system_packages.ts) covers every system package the
 * tests ask for, and the set-up check finds what is missing.
 */
import { SYSTEM_PACKAGES } from "../../lib/setup/system_packages.ts";
import { missingPackages } from "../../lib/setup/cli.ts";
import { assert, assertEquals } from "../assert.ts";

async function* sourceFiles(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* sourceFiles(url);
    else if (e.name.endsWith(".ts")) yield url;
  }
}

Deno.test("setup: every package a test or library message says to apt-get install is in the set-up list", async () => {
  const listed = new Set(SYSTEM_PACKAGES.map((p) => p.name));
  const asked = new Map<string, string>();
  for (const dir of ["../../tests/", "../../lib/"]) {
    for await (const file of sourceFiles(new URL(dir, import.meta.url))) {
      if (file.href === import.meta.url) continue;
      const text = await Deno.readTextFile(file);
      for (const m of text.matchAll(/apt-get install ((?:[a-z0-9][a-z0-9.+-]+ ?)+)/g)) {
        for (const name of m[1].trim().split(/\s+/)) asked.set(name, file.pathname);
      }
    }
  }
  assert(asked.size >= 2, `found the install hints (${[...asked.keys()]})`);
  for (const [name, file] of asked) assert(listed.has(name), `${file} says 'apt-get install ${name}', but lib/setup/system_packages.ts does not list it`);
});

Deno.test("setup: missingPackages names what dpkg does not have installed", async () => {
  assertEquals(await missingPackages(["no-such-package-ebm-test"]), ["no-such-package-ebm-test"]);
  const installed = await missingPackages(SYSTEM_PACKAGES.map((p) => p.name));
  assertEquals(installed, [], "the test command installed every listed package before the suite ran");
});
