/**
 * `basins.json`, written by `basin-cluster` and read by `plot-basins`: owner of its schema,
 * writer and reader. Fields: `parameters` (seed, AD settings, and with `ad.alpha: auto` the
 * `auto_alpha` object: chosen α and pull, the rule and its reason, the sorted critical-α
 * spectrum `curve`), `energies` (every minimum's energy, by index into the upstream minima),
 * `basins` (`id`, `representative`, `energy`, `size`, `members` with `index`, `energy`,
 * `barrier`), `unassigned`, `barrier_matrix` (null = not connected), `tree` (`nodes`, `merges`,
 * `roots`). The reader checks what readers need and names the file and the field of any problem.
 *
 * @example
 * ```ts ignore
 * import { readBasinsFile, writeBasinsFile } from "./basins_file.ts";
 * await writeBasinsFile("out/basins.json", content);
 * const { energies, basins, tree, autoAlpha } = await readBasinsFile("out/basins.json");
 * ```
 * @module
 */
import { z } from "zod";
import { readJson, writeJsonAtomic } from "../util/fs.ts";

/** The file name `basin-cluster` writes. */
export const BASINS_FILE = "basins.json";

/** One point of the sorted critical-α spectrum (the "α sweep curve" of `basins.json`). */
export interface SpectrumPoint {
  pair: [number, number];
  distance: number;
  /** The pair's critical α (Infinity: never connected), and the pull α·T it means. */
  alpha: number;
  pull: number;
  /** Fraction of the pairs at or below this one: the share that merges at an α just above it. */
  fraction_below: number;
  /** Ratio to the next critical α (null for the last): a gap is a large ratio. */
  ratio_to_next: number | null;
  /** Whether the split after this point lies in the gap rule's range. */
  in_range: boolean;
  /**
   * The α below which the magnet alone cannot carry AD over the pair's distance in `max_steps`
   * (drift (ε²/2)·α per step), and whether the critical α lies within two sweep steps (×factor²)
   * of it: then the pair connected as soon as AD could arrive, and its critical α measures
   * `max_steps`, not a barrier. (A critical α well below it means the landscape itself carried AD.)
   */
  travel_alpha: number;
  travel_limited: boolean;
  /**
   * Whether the pair connected even below the floor where the magnet alone moves AD less than δ
   * in `max_steps` (see `AutoAlphaOptions.minAlpha`): the landscape carries AD from one minimum to
   * the other, so the pair merges at any α.
   */
  landscape_carried: boolean;
}

/** A tree node: leaves 0..L−1 first, then merges with two children each. */
export interface GraphNode {
  node: number;
  energy: number;
  children?: [number, number];
}

/** What `basin-cluster` writes (see the module doc). */
export interface BasinsFileContent {
  parameters: Record<string, unknown>;
  energies: number[];
  basins: { id: number; representative: number; energy: number; size: number; members: { index: number; energy: number; barrier: number | null }[] }[];
  unassigned: number[];
  barrier_matrix: (number | null)[][];
  tree: { nodes: GraphNode[]; merges: unknown[]; roots: number[] };
}

/**
 * Writes `basins.json` atomically.
 *
 * @example
 * ```ts ignore
 * await writeBasinsFile(join(ctx.outDir, BASINS_FILE), basinsFile(result, config, seed));
 * ```
 */
export async function writeBasinsFile(path: string, content: BasinsFileContent): Promise<void> {
  await writeJsonAtomic(path, content);
}

/** `parameters.auto_alpha` of `basins.json`, with never-connected pairs' α and pull as Infinity. */
export interface AlphaSpectrum {
  /** The chosen α and its pull α·T. */
  alpha: number;
  pull: number;
  /** One sentence: which rule chose α and why. */
  reason: string;
  /** The rule asked for (absent in files that predate it). */
  rule?: "gap" | "quantile";
  /** The rule that chose α: "quantile" also when the gap rule fell back. */
  ruleUsed?: "gap" | "quantile";
  /** The gap rule's range of the fraction of pairs below α. */
  range?: [number, number];
  /** Width of the widest gap in range (hi/lo), or null. */
  gapRatio: number | null;
  /** The sweep's ratio: travel-limited means within ×factor² of the travel pull. */
  factor?: number;
  /** The sorted spectrum (empty when the file has none). */
  curve: SpectrumPoint[];
}

const finiteOrNull = z.number().nullable();
const pointSchema = z.object({
  pair: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  distance: z.number().min(0),
  alpha: z.number().positive().nullable(),
  pull: z.number().positive().nullable(),
  fraction_below: z.number().min(0).max(1),
  ratio_to_next: finiteOrNull,
  in_range: z.boolean(),
  travel_alpha: z.number().min(0).nullable(),
  travel_limited: z.boolean(),
  /** Absent in files written before the sweep had a floor: such pairs were never marked. */
  landscape_carried: z.boolean().default(false),
});
const autoAlphaSchema = z.object({
  alpha: z.number().positive(),
  pull: z.number().positive(),
  reason: z.string(),
  rule: z.enum(["gap", "quantile"]).optional(),
  rule_used: z.enum(["gap", "quantile"]).optional(),
  range: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).optional(),
  gap_ratio: finiteOrNull.optional(),
  factor: z.number().gt(1).optional(),
  curve: z.array(pointSchema).optional(),
});

/** `curve[3].pull` style path of a zod issue, under `field`. */
function issuePath(field: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : `${out}.${String(key)}`), field);
}

/**
 * Checks `parameters.auto_alpha` of a `basins.json` (`value`; null/undefined: α was not chosen
 * automatically → null). `source` names the file and `field` the object's path in errors:
 * "Cannot read basins 'b.json': field 'parameters.auto_alpha.curve[2].pull' …".
 */
export function parseAutoAlpha(value: unknown, source: string, field = "parameters.auto_alpha"): AlphaSpectrum | null {
  if (value === null || value === undefined) return null;
  const parsed = autoAlphaSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issuePath(field, issue.path);
    const got = issue.path.reduce<unknown>((o, key) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[key] : undefined), value);
    throw new Error(`Cannot read basins '${source}': field '${at}': ${issue.message} (got ${JSON.stringify(got) ?? "nothing"})`);
  }
  const a = parsed.data;
  const curve = (a.curve ?? []).map((p): SpectrumPoint => ({
    ...p,
    alpha: p.alpha ?? Infinity,
    pull: p.pull ?? Infinity,
    travel_alpha: p.travel_alpha ?? Infinity,
  }));
  // α·T is stored per point; a finite α with a null pull (or the reverse) is a broken file, not ∞
  curve.forEach((p, i) => {
    if (Number.isFinite(p.alpha) !== Number.isFinite(p.pull)) {
      throw new Error(`Cannot read basins '${source}': field '${field}.curve[${i}]': 'alpha' (${p.alpha}) and 'pull' (${p.pull}) must both be numbers or both null (never connected)`);
    }
  });
  return {
    alpha: a.alpha,
    pull: a.pull,
    reason: a.reason,
    rule: a.rule,
    ruleUsed: a.rule_used,
    range: a.range,
    gapRatio: a.gap_ratio ?? null,
    factor: a.factor,
    curve,
  };
}

/** The fields of `basins.json` its readers use (other fields are ignored). */
export interface BasinsJson {
  energies: number[];
  basins: { id?: number; representative: number; members: (number | { index: number })[] }[];
  tree?: { nodes: GraphNode[]; roots: number[] };
  /** `parameters.auto_alpha` (the auto-α spectrum), checked; null when α was a number. */
  autoAlpha?: AlphaSpectrum | null;
}

/** Checks and normalises a parsed `basins.json`; `source` names the file in errors. */
export function parseBasinsJson(json: unknown, source: string): BasinsJson {
  const o = json as Partial<BasinsJson> | null;
  if (!o || typeof o !== "object") throw new Error(`Cannot read basins '${source}': expected a JSON object`);
  if (!Array.isArray(o.energies) || o.energies.some((e) => typeof e !== "number")) throw new Error(`Cannot read basins '${source}': expected 'energies' to be an array of numbers`);
  if (!Array.isArray(o.basins) || o.basins.length === 0) throw new Error(`Cannot read basins '${source}': expected 'basins' to be a non-empty array`);
  o.basins.forEach((b, i) => {
    if (!Number.isInteger(b.representative) || b.representative < 0 || b.representative >= o.energies!.length) {
      throw new Error(`Cannot read basins '${source}': basins[${i}].representative must index 'energies' (0..${o.energies!.length - 1}), got ${b.representative}`);
    }
    if (!Array.isArray(b.members)) throw new Error(`Cannot read basins '${source}': basins[${i}].members must be an array`);
  });
  if (o.tree && (!Array.isArray(o.tree.nodes) || !Array.isArray(o.tree.roots))) throw new Error(`Cannot read basins '${source}': 'tree' needs 'nodes' and 'roots' arrays`);
  const parameters = (o as { parameters?: unknown }).parameters;
  if (parameters !== undefined && (parameters === null || typeof parameters !== "object" || Array.isArray(parameters))) {
    throw new Error(`Cannot read basins '${source}': field 'parameters' must be an object, got ${JSON.stringify(parameters)}`);
  }
  const autoAlpha = parseAutoAlpha((parameters as Record<string, unknown> | undefined)?.auto_alpha, source);
  return { ...(o as BasinsJson), autoAlpha };
}

/**
 * Reads and checks `basins.json`.
 *
 * @example
 * ```ts ignore
 * const basins = await readBasinsFile("outputs/basins-fashion/basins/basins.json");
 * ```
 */
export async function readBasinsFile(path: string): Promise<BasinsJson> {
  return parseBasinsJson(await readJson(path), path);
}
