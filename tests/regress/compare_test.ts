import { parseBaseline } from "../../lib/regress/baseline.ts";
import { compareMetrics, formatTable, hasRegression, updatedBaseline } from "../../lib/regress/compare.ts";
import { assert, assertEquals } from "../assert.ts";

const baseline = parseBaseline({
  version: 1,
  pipeline: "anatomy-toy",
  profile: "smoke",
  metrics: {
    "conv.kl_true_ebm": { value: 0.2, tolerance: 0.05, direction: "higher_is_worse" },
    "conv.accuracy": { value: 0.9, tolerance: 0.1, relative: true, direction: "lower_is_worse" },
    "conv.d_t_mean": { value: 0, tolerance: 1, direction: "either" },
  },
  relations: [
    { left: "conv.kl_true_ebm", op: "<", right: "nonconv.kl_true_ebm", why: "convergent learning fits the density" },
    { left: "conv.d_t_lag1_autocorr", op: "<", right: 0, why: "stable ML learning" },
  ],
}, "test.json");

Deno.test("regress: values within tolerance pass, relations hold", () => {
  const rows = compareMetrics({
    conv: { kl_true_ebm: 0.24, accuracy: 0.82, d_t_mean: -0.5, d_t_lag1_autocorr: -0.3 },
    nonconv: { kl_true_ebm: 1.5 },
  }, baseline);
  assertEquals(rows.map((r) => r.status), ["ok", "ok", "ok", "ok", "ok"]);
  assert(!hasRegression(rows), "no regression expected");
});

Deno.test("regress: each direction flags the right change; improvements are not failures", () => {
  const rows = compareMetrics({
    conv: { kl_true_ebm: 0.1, accuracy: 0.7, d_t_mean: 2, d_t_lag1_autocorr: 0.1 },
    nonconv: { kl_true_ebm: 0.05 },
  }, baseline);
  assertEquals(rows.map((r) => r.status), ["improved", "regressed", "regressed", "regressed", "regressed"]);
  assert(hasRegression(rows), "regression expected");
  const table = formatTable(rows);
  assert(table.includes("REGRESSED") && table.includes("stable ML learning"), table);
});

Deno.test("regress: a missing metric is a failure, not a pass", () => {
  const rows = compareMetrics({ conv: { accuracy: 0.9, d_t_mean: 0 } }, baseline);
  assertEquals(rows[0].status, "missing");
  assert(hasRegression(rows), "missing must fail");
});

Deno.test("regress: bad baseline files name the file and field", () => {
  let message = "";
  try {
    parseBaseline({ version: 1, pipeline: "p", profile: null, metrics: { "x.y": { value: 1, tolerance: -1, direction: "either" } } }, "configs/baselines/p.default.json");
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("configs/baselines/p.default.json") && message.includes("metrics.x.y.tolerance"), message);
});

Deno.test("regress: --update keeps tolerances; a new baseline skips timings", () => {
  const next = updatedBaseline({ conv: { kl_true_ebm: 0.3, accuracy: 0.95, d_t_mean: 0.1 } }, baseline, { pipeline: "anatomy-toy", profile: "smoke" });
  assertEquals(next.metrics["conv.kl_true_ebm"], { value: 0.3, tolerance: 0.05, relative: false, direction: "higher_is_worse" });
  assertEquals(next.relations.length, 2);
  const fresh = updatedBaseline({ train: { d_t_mean: 0.5, wall_seconds: 12, seconds_per_iter: 0.7, iters_per_second: 1.4, note: "x" } }, null, { pipeline: "p", profile: null });
  assertEquals(Object.keys(fresh.metrics), ["train.d_t_mean"]);
});

Deno.test("regress: label baselines (diagnosis verdicts) must match exactly; --update and new baselines keep them", () => {
  const labels = parseBaseline({
    version: 1, pipeline: "anatomy-toy", profile: "cpu",
    metrics: { "diagnose.gmm.sampling": { value: "convergent" }, "diagnose.gmm.kl_ratio": { value: 0.7, tolerance: 1, direction: "higher_is_worse" } },
  }, "labels.json");
  const same = compareMetrics({ diagnose: { "gmm.sampling": "convergent", "gmm.kl_ratio": 0.8 } }, labels);
  assert(!hasRegression(same), formatTable(same));
  const changed = compareMetrics({ diagnose: { "gmm.sampling": "non-convergent", "gmm.kl_ratio": 0.8 } }, labels);
  assertEquals(changed[0].status, "regressed");
  assert(changed[0].detail.includes("'convergent' → 'non-convergent'"), changed[0].detail);
  assert(formatTable(changed).includes("non-convergent"), "the table shows the run's label");
  assertEquals(compareMetrics({ diagnose: { "gmm.kl_ratio": 0.8 } }, labels)[0].status, "missing");
  // A number where a label is expected is missing, not a match.
  assertEquals(compareMetrics({ diagnose: { "gmm.sampling": 1, "gmm.kl_ratio": 0.8 } }, labels)[0].status, "missing");
  const updated = updatedBaseline({ diagnose: { "gmm.sampling": "non-convergent", "gmm.kl_ratio": 0.9 } }, labels, { pipeline: "anatomy-toy", profile: "cpu" });
  assertEquals(updated.metrics["diagnose.gmm.sampling"], { value: "non-convergent" });
  const fresh = updatedBaseline({ diagnose: { "gmm.learning": "stable", "gmm.sampling": "convergent", backend: "native" } }, null, { pipeline: "p", profile: null });
  assertEquals(fresh.metrics, { "diagnose.gmm.learning": { value: "stable" }, "diagnose.gmm.sampling": { value: "convergent" } });
});
