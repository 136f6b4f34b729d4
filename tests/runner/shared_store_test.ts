/**
 * Two pipelines that share steps, run at the same time against one store (issue 20): 8 rounds
 * with new fingerprints each round (a new seed for both) and 8 rounds of `--force`. No run fails,
 * both see the same outputs, and no temporary directory is left behind.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { cliCommand, repoRoot } from "./rig.ts";

const steps = `steps:
  generate: { task: demo-generate, config: configs/demo/generate.yaml }
  stats: { task: demo-stats, needs: [generate], config: { chunks: 2 } }
  summary: { task: demo-summary, needs: [generate, stats], config: { title: Shared } }
`;

async function run(root: string, pipeline: string, extra: string[]): Promise<{ code: number; out: string }> {
  const r = await cliCommand(root, ["pipeline", pipeline, "--json", "--jobs", "1", "--set", "generate.points=300", ...extra]).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

Deno.test("two pipelines sharing entries run concurrently: 8 rounds, with and without --force, no failure, no leftovers", async () => {
  const root = await Deno.makeTempDir({ prefix: "runner-shared-" });
  try {
    for (const dir of ["tasks", "lib", "configs"]) await Deno.symlink(join(repoRoot, dir), join(root, dir));
    await Deno.mkdir(join(root, "pipelines"));
    for (const p of ["one", "two"]) await Deno.writeTextFile(join(root, "pipelines", `${p}.yaml`), `seed: 1\n${steps}`);
    const rounds = [...Array(8).keys()].map((i) => ["--seed", String(100 + i)]).concat([...Array(8).keys()].map(() => ["--seed", "7", "--force"]));
    for (const [i, extra] of rounds.entries()) {
      const [a, b] = await Promise.all([run(root, "one", extra), run(root, "two", extra)]);
      assertEquals(a.code, 0, `round ${i} (${extra.join(" ")}), pipeline one:\n${a.out}`);
      assertEquals(b.code, 0, `round ${i} (${extra.join(" ")}), pipeline two:\n${b.out}`);
      for (const step of ["generate", "stats", "summary"]) {
        const [ta, tb] = await Promise.all(["one", "two"].map((p) => Deno.realPath(join(root, "outputs", p, step))));
        assertEquals(ta, tb, `round ${i}: both pipelines link ${step} to the same entry`);
      }
      const stats = JSON.parse(await Deno.readTextFile(join(root, "outputs/one/stats/stats.json")));
      assertEquals(stats.count, 300);
    }
    const left = [...Deno.readDirSync(join(root, "outputs/.cache"))].map((e) => e.name);
    assertEquals(left.filter((n) => /^(tmp|trash)-/.test(n)), [], "no temporary directories are left");
    assertEquals(left.filter((n) => n.startsWith("damaged-")), [], "nothing was damaged");
    assert(left.filter((n) => /^[0-9a-f]{64}$/.test(n)).length >= 8 * 3, "each seed round stored its own entries");
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
