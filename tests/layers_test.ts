/**
 * The house's layering (README "Layout"): every relative import of `lib/` goes to the importing
 * folder itself or to a folder its row allows, and no module imports itself back through others.
 * A new folder must get a row here (and in the README) before its imports are accepted.
 */
import { dirname, join, normalize, relative } from "node:path";
import { assert, assertEquals } from "./assert.ts";

const root = normalize(join(new URL(".", import.meta.url).pathname, ".."));

/** Folder (longest prefix wins) → the folders it may import besides itself. */
const ALLOWED: Record<string, string[]> = {
  "lib/util": [],
  "lib/setup": [],
  "lib/pool": ["lib/util"],
  "lib/slurm": ["lib/util"],
  "lib/task.ts": ["lib/pool"],
  "lib/tensor/kernels": ["lib/util"],
  "lib/tensor/wasm": ["lib/tensor/kernels", "lib/util"],
  "lib/tensor/native": ["lib/tensor/kernels", "lib/util"],
  "lib/tensor": ["lib/tensor/kernels", "lib/tensor/wasm", "lib/tensor/native", "lib/util"],
  "lib/data": ["lib/util", "lib/pool", "lib/task.ts"],
  "lib/nets": ["lib/tensor/kernels", "lib/util"],
  "lib/ebm": ["lib/nets", "lib/tensor/kernels", "lib/util"],
  "lib/flows": ["lib/nets", "lib/tensor/kernels", "lib/util"],
  "lib/artifacts": ["lib/nets", "lib/util"],
  "lib/regress": ["lib/util"],
  "lib/sweep": ["lib/util"],
  // The regression command runs pipelines through the runner's command line (a child process).
  "lib/regress/cli.ts": ["lib/regress", "lib/runner", "lib/util"],
};
const BELOW_TRAINING = ["lib/ebm", "lib/flows", "lib/nets", "lib/artifacts", "lib/data", "lib/tensor", "lib/tensor/kernels", "lib/tensor/wasm", "lib/tensor/native", "lib/pool", "lib/task.ts", "lib/util"];
ALLOWED["lib/train"] = BELOW_TRAINING;
ALLOWED["lib/adelm"] = BELOW_TRAINING;
for (const f of ["lib/vera", "lib/hybrid", "lib/diagnosis"]) ALLOWED[f] = ["lib/train", "lib/adelm", ...BELOW_TRAINING];
ALLOWED["lib/plot"] = ["lib/diagnosis", "lib/regress", "lib/sweep", "lib/vera", "lib/hybrid", "lib/train", "lib/adelm", ...BELOW_TRAINING];
ALLOWED["lib/runner"] = ["lib/task.ts", "lib/pool", "lib/slurm", "lib/tensor", "lib/util"];

function folderOf(file: string): string | null {
  const keys = Object.keys(ALLOWED).filter((k) => file === k || file.startsWith(k + "/"));
  return keys.sort((a, b) => b.length - a.length)[0] ?? null;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(join(root, dir))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...sourceFiles(path));
    else if (/\.(ts|js)$/.test(e.name)) out.push(path);
  }
  return out;
}

/** Relative module specifiers of a file: static imports/exports, `import(…)` and `new URL(…, import.meta.url)` of modules. */
function localImports(file: string): string[] {
  const text = Deno.readTextFileSync(join(root, file)).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*"(\.[^"]+)"/g),
    ...text.matchAll(/(?:^|\n)\s*import\s*"(\.[^"]+)"/g),
    ...text.matchAll(/import\(\s*"(\.[^"]+)"\s*\)/g),
    ...text.matchAll(/new URL\(\s*"(\.[^"]+\.(?:ts|js))"\s*,\s*import\.meta\.url\)/g),
  ].map((m) => m[1]);
  return specs.map((s) => relative(root, normalize(join(root, dirname(file), s))));
}

const files = sourceFiles("lib");
const graph = new Map(files.map((f) => [f, localImports(f).filter((t) => t.startsWith("lib/"))]));

Deno.test("every lib/ folder has a row, and imports only itself and the folders its row allows", () => {
  const unknown = files.filter((f) => folderOf(f) === null);
  assertEquals(unknown, [], "files in folders without a row in ALLOWED (add one here and in the README's Layout)");
  const bad: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file)!;
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      if (to === null || !ALLOWED[from].includes(to)) bad.push(`${file} → ${target}`);
    }
  }
  assertEquals(bad, [], "imports against the layering");
});

Deno.test("no import circles between lib/ modules", () => {
  // Tarjan's strongly connected components over the module graph.
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>(), stack: string[] = [];
  const circles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  assertEquals(circles, [], "modules that import each other (directly or through others)");
  assert(graph.size > 100, `expected the lib/ modules, read ${graph.size}`);
});
