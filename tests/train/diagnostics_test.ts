import { assert, assertClose } from "../assert.ts";
import { autocorrelation, meanSd, paperAutocorrelationOfD, summarizeTraining } from "../../lib/train/diagnostics.ts";

Deno.test("meanSd uses the n − 1 denominator", () => {
  const { mean, sd } = meanSd([1, 2, 3, 4]);
  assertClose(mean, 2.5, 1e-12);
  assertClose(sd, Math.sqrt(5 / 3), 1e-12);
});

Deno.test("lag-1 autocorrelation: alternating series is strongly negative, a trend positive", () => {
  const alternating = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1));
  assert(autocorrelation(alternating, 1) < -0.95, `alternating: ${autocorrelation(alternating, 1)}`);
  const trend = Array.from({ length: 200 }, (_, i) => i);
  assert(autocorrelation(trend, 1) > 0.95, `trend: ${autocorrelation(trend, 1)}`);
  // Hand-computed: x = [1, 2, 0, 3]; mean 1.5; deviations -0.5, 0.5, -1.5, 1.5
  // num = -0.25 - 0.75 - 2.25 = -3.25; den = 0.25 + 0.25 + 2.25 + 2.25 = 5
  assertClose(autocorrelation([1, 2, 0, 3], 1), -3.25 / 5, 1e-12);
});

Deno.test("paper autocorrelation of d scales by the uncentred RMS and divides by n − 1", () => {
  // d = [1, -1, 1, -1]: ms = 1; Σ dᵢdᵢ₊₁ = -3; / (n − 1) = -1
  assertClose(paperAutocorrelationOfD([1, -1, 1, -1], 1), -1, 1e-12);
  assertClose(paperAutocorrelationOfD([2, 2, 2], 0), 3 / 2, 1e-12);
});

Deno.test("summarizeTraining covers only the last window", () => {
  const d = [100, 100, 1, -1, 1, -1];
  const r = [5, 5, 1, 2, 3, 4];
  const s = summarizeTraining(d, r, 4);
  assert(s.summary_iters === 4);
  assertClose(s.d_t_mean, 0, 1e-12);
  assertClose(s.r_t_mean, 2.5, 1e-12);
  assert(s.d_t_lag1_autocorr < -0.7, `lag1 ${s.d_t_lag1_autocorr}`);
});
