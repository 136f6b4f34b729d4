/**
 * Compares the metrics of two lock files step by step, leaving out timing metrics (wall and
 * elapsed seconds, per-iteration times, rates): e.g. the same pipeline run with `--executor
 * local` and `--executor slurm` at the same thread settings. Prints each step's verdict and
 * where each ran; exits 1 when a non-timing metric differs or a step is missing.
 *
 * ```sh
 * deno run -R bench/compare_locks.ts local.lock.json outputs/sweep-toy/pipeline.lock.json
 * ```
 * @module
 */
const timing = /seconds|per_second|per_iter|wall|elapsed/;

const [aPath, bPath] = Deno.args;
if (!aPath || !bPath || Deno.args.includes("--help")) {
  console.log("Usage: deno run -R bench/compare_locks.ts <a.lock.json> <b.lock.json>");
  Deno.exit(aPath ? 0 : 2);
}
type Lock = { steps: Record<string, { status: string; metrics: Record<string, unknown> | null; place?: { executor: string; job_id: string; node: string } }> };
const a = JSON.parse(await Deno.readTextFile(aPath)) as Lock;
const b = JSON.parse(await Deno.readTextFile(bPath)) as Lock;
let bad = 0, compared = 0, skipped = 0;
for (const id of Object.keys(a.steps)) {
  const sa = a.steps[id], sb = b.steps[id];
  if (!sb) {
    console.log(`MISSING  ${id}: not in ${bPath}`);
    bad++;
    continue;
  }
  const diffs: string[] = [];
  const keys = new Set([...Object.keys(sa.metrics ?? {}), ...Object.keys(sb.metrics ?? {})]);
  for (const k of keys) {
    if (timing.test(k)) {
      skipped++;
      continue;
    }
    compared++;
    const va = JSON.stringify(sa.metrics?.[k]), vb = JSON.stringify(sb.metrics?.[k]);
    if (va !== vb) diffs.push(`${k}: ${va} vs ${vb}`);
  }
  const where = (s: typeof sa) => (s.place ? `slurm job ${s.place.job_id} on ${s.place.node}` : "local");
  console.log(`${diffs.length ? "DIFFERS" : "same   "}  ${id}  (${where(sa)} | ${where(sb)})${diffs.length ? "\n    " + diffs.join("\n    ") : ""}`);
  if (diffs.length) bad++;
}
console.log(`${compared} non-timing metric values compared (${skipped} timing values left out): ${bad === 0 ? "all identical" : `${bad} step(s) differ`}`);
Deno.exit(bad === 0 ? 0 : 1);
