import { join } from "node:path";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import plotBasins from "../../tasks/plot-basins.ts";
import { chooseAlpha, explainChoice, type PairCritical, spectrumCurve } from "../../lib/adelm/auto_alpha.ts";
import { alphaSpectrumFigure, formatValue } from "../../lib/plot/alpha_spectrum.ts";
import { parseAutoAlpha } from "../../lib/artifacts/basins_file.ts";
import { parseBasinsJson } from "../../lib/artifacts/basins_file.ts";
import { writeJsonAtomic } from "../../lib/util/fs.ts";
import { makeTestContext } from "../task_context.ts";
import { decodePng } from "./png.ts";

const TEMPERATURE = 0.5;
const FACTOR = 1.15;
const AD = { temperature: TEMPERATURE, stepSize: 0.1, maxSteps: 1000 }; // drift 0.005/step: travel α = distance / 5
const RULE = { kind: "gap" as const, low: 0.2, high: 0.8, minGap: 2, q: 0.5 };

/**
 * A `basins.json` as basin-cluster writes it with `ad.alpha: auto`, built with the real spectrum
 * code and a JSON round trip (Infinity → null): 6 pairs, critical α 0.8, 1.0, 1.1 | gap ×13.6 |
 * 15, 17 (distance 85: travel α 17, travel-limited) and one pair that never connected.
 */
function basinsWithAutoAlpha(minAlpha = 0): Record<string, unknown> {
  const critical: [number, number][] = [[1.1, 1], [0.8, 1], [Infinity, 3], [15, 2], [1.0, 1], [17, 85]];
  const pairs: PairCritical[] = critical.map(([alpha, distance], i) => ({ pair: [i, i + 6], distance, alpha, below: alpha / FACTOR, history: [] }));
  const chosen = chooseAlpha(pairs.map((p) => p.alpha as number), RULE);
  const auto = {
    factor: FACTOR, expand: 4, max_rounds: 60, reps: 1, rule: "gap", range: [0.2, 0.8], min_gap: 2, q: 0.5, separation: 4,
    alpha: chosen.alpha, pull: chosen.alpha * TEMPERATURE, rule_used: chosen.used, reason: explainChoice(chosen, RULE),
    fraction_below: chosen.fractionBelow, gap_ratio: chosen.gapRatio, trials: 100, curve: spectrumCurve(pairs, RULE, AD, FACTOR, minAlpha), pairs,
  };
  return JSON.parse(JSON.stringify({
    parameters: { seed: 1, ad: { ...AD, alpha: chosen.alpha }, auto_alpha: auto },
    energies: [-3, -2, -1],
    basins: [{ id: 0, representative: 0, members: [{ index: 0 }, { index: 1 }] }, { id: 1, representative: 2, members: [{ index: 2 }] }],
  }));
}

function autoAlphaOf(json: Record<string, unknown>): Record<string, unknown> {
  return (json.parameters as Record<string, unknown>).auto_alpha as Record<string, unknown>;
}

async function runPlotBasins(basins: unknown) {
  const dir = await Deno.makeTempDir({ prefix: "ebm-alpha-spectrum-" });
  await writeJsonAtomic(join(dir, "basins.json"), basins);
  const t = await makeTestContext(plotBasins.config.parse({}), { inputs: [{ id: "cluster", task: "basin-cluster", dir }] });
  return {
    t,
    files: async () => {
      const names: string[] = [];
      for await (const e of Deno.readDir(t.ctx.outDir)) names.push(e.name);
      return names.sort();
    },
    dispose: async () => {
      await t.dispose();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The elements of the mark group with class `name` (one per drawn point). */
function markCount(svg: string, name: string): number {
  const group = svg.match(new RegExp(`<g[^>]*class="${name}"[^>]*>(.*?)</g>`, "s"));
  if (!group) return 0;
  return (group[1].match(/<(circle|path)\b/g) ?? []).length;
}

Deno.test("auto_alpha curve: never-connected pulls come back as Infinity, the rule and range are kept", () => {
  const spectrum = parseBasinsJson(basinsWithAutoAlpha(), "b.json").autoAlpha!;
  assertEquals(spectrum.curve.length, 6);
  assertEquals(spectrum.curve.map((p) => p.alpha), [0.8, 1.0, 1.1, 15, 17, Infinity]);
  assertEquals(spectrum.curve[5].pull, Infinity);
  assertEquals(spectrum.curve.map((p) => p.travel_limited), [false, false, false, false, true, false]);
  assertEquals([spectrum.rule, spectrum.ruleUsed, spectrum.range], ["gap", "gap", [0.2, 0.8]]);
  assertEquals(spectrum.alpha, Math.sqrt(1.1 * 15));
  assertEquals(parseBasinsJson({ energies: [-1], basins: [{ representative: 0, members: [] }], parameters: { auto_alpha: null } }, "b.json").autoAlpha, null);
});

Deno.test("plot-basins marks pairs the landscape carries (connected at the sweep's floor) apart from the others", async () => {
  // a floor of 0.9 makes the 0.8 pair landscape-carried
  const run = await runPlotBasins(basinsWithAutoAlpha(0.9));
  try {
    await plotBasins.run(run.t.ctx);
    const svg = await Deno.readTextFile(join(run.t.ctx.outDir, "alpha-spectrum.svg"));
    assertEquals([markCount(svg, "critical"), markCount(svg, "landscape-carried"), markCount(svg, "travel-limited")], [3, 1, 1]);
    assert(svg.includes("1 carried by the landscape") && svg.includes("carried by the landscape (magnet"), "title count and legend entry");
  } finally {
    await run.dispose();
  }
});

Deno.test("plot-basins writes alpha-spectrum.svg/.png with the chosen-α rule, every point and the gap", async () => {
  const basins = basinsWithAutoAlpha();
  const run = await runPlotBasins(basins);
  try {
    await plotBasins.run(run.t.ctx);
    assertEquals(await run.files(), ["alpha-spectrum.png", "alpha-spectrum.svg", "disconnectivity.png", "disconnectivity.svg", "metrics.json"]);
    const svg = await Deno.readTextFile(join(run.t.ctx.outDir, "alpha-spectrum.svg"));
    const pull = autoAlphaOf(basins).pull as number;
    assert(svg.includes(`chosen α·T = ${formatValue(pull, 4)}`), "chosen-α rule label");
    // 3 plain + 1 between the gap (α = 15) drawn as circles, the travel-limited one and ∞ as symbols
    assertEquals([markCount(svg, "critical"), markCount(svg, "travel-limited"), markCount(svg, "never-connected")], [4, 1, 1]);
    assertEquals((svg.match(/<title>#\d+ pair \[/g) ?? []).length, 6);
    assertEquals(markCount(svg, "travel-pull"), 6);
    assert(svg.includes('class="gap-range"'), "gap-rule range shaded");
    assert(svg.includes('class="widest-gap"') && svg.includes(`>gap ×${formatValue(15 / 1.1)}<`), "widest gap marked and labelled");
    assert(svg.includes("1 never connected") && svg.includes("1 travel-limited") && svg.includes("gap rule"), "title counts and rule");
    assert(svg.includes("critical pull α·T (energy per unit distance)"), "y axis label in words");
    const width = Number(svg.match(/^<svg[^>]*\swidth="(\d+)"/)![1]), height = Number(svg.match(/^<svg[^>]*\sheight="(\d+)"/)![1]);
    const png = await decodePng(await Deno.readFile(join(run.t.ctx.outDir, "alpha-spectrum.png")));
    assertEquals([png.width, png.height], [2 * width, 2 * height]); // png_scale 2
    assert(width > 600 && height > 300, `${width}×${height}`);
    assertEquals([run.t.metrics!.alpha_spectrum, run.t.metrics!.alpha_spectrum_pairs], [true, 6]);
  } finally {
    await run.dispose();
  }
});

Deno.test("plot-basins without auto_alpha (or with an empty curve) writes no spectrum and says so", async () => {
  const fixed = basinsWithAutoAlpha();
  (fixed.parameters as Record<string, unknown>).auto_alpha = null; // basin-cluster with a numeric ad.alpha
  const empty = basinsWithAutoAlpha();
  autoAlphaOf(empty).curve = [];
  for (const [basins, why] of [[fixed, "no 'parameters.auto_alpha'"], [empty, "an empty 'parameters.auto_alpha.curve'"]] as const) {
    const run = await runPlotBasins(basins);
    try {
      await plotBasins.run(run.t.ctx);
      assertEquals(await run.files(), ["disconnectivity.png", "disconnectivity.svg", "metrics.json"]);
      assertEquals(run.t.metrics!.alpha_spectrum, false);
      assert(run.t.logs.some((l) => l.includes("No alpha-spectrum figure") && l.includes(why)), run.t.logs.join("\n"));
    } finally {
      await run.dispose();
    }
  }
});

Deno.test("a malformed auto_alpha curve fails with the file and the field named", async () => {
  const wrongType = basinsWithAutoAlpha();
  ((autoAlphaOf(wrongType).curve as Record<string, unknown>[])[2]).in_range = "yes";
  const run = await runPlotBasins(wrongType);
  try {
    await assertThrowsAsync(() => plotBasins.run(run.t.ctx), "parameters.auto_alpha.curve[2].in_range");
    assertEquals(await run.files(), [], "nothing half-written");
  } finally {
    await run.dispose();
  }
  const cases: [(a: Record<string, unknown>) => void, string][] = [
    [(a) => (a.curve = "sorted"), "'parameters.auto_alpha.curve'"],
    [(a) => ((a.curve as Record<string, unknown>[])[0].pull = -1), "'parameters.auto_alpha.curve[0].pull'"],
    [(a) => ((a.curve as Record<string, unknown>[])[1].pull = null), "'parameters.auto_alpha.curve[1]': 'alpha' (1) and 'pull' (Infinity)"],
    [(a) => delete a.reason, "'parameters.auto_alpha.reason'"],
  ];
  for (const [breakIt, field] of cases) {
    const json = basinsWithAutoAlpha();
    breakIt(autoAlphaOf(json));
    let message = "";
    try {
      parseBasinsJson(json, "cluster/basins.json");
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.startsWith("Cannot read basins 'cluster/basins.json': field ") && message.includes(field), `${field}: ${message}`);
  }
});

Deno.test("the spectrum figure draws a quantile choice without a gap and refuses an empty curve", () => {
  const spectrum = parseAutoAlpha({ ...autoAlphaOf(basinsWithAutoAlpha()), rule: "quantile", rule_used: "quantile" }, "b.json")!;
  const figure = alphaSpectrumFigure(spectrum);
  assert(!figure.svg.includes('class="widest-gap"') && !figure.svg.includes('class="gap-range"'), "no gap drawn for the quantile rule");
  assert(figure.svg.includes("quantile rule"), "the title names the rule");
  let message = "";
  try {
    alphaSpectrumFigure({ ...spectrum, curve: [] });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("no points"), message);
});
