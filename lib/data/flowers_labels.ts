/**
 * Oxford Flowers 102 labels and splits from `imagelabels.mat` (`labels`, 1..102 per image) and
 * `setid.mat` (`trnid`, `valid`, `tstid`: 1-based image ids), checked for consistency.
 *
 * @example
 * ```ts
 * import { readFlowersLabels } from "./flowers_labels.ts";
 * const { labels, splits } = await readFlowersLabels("imagelabels.mat", "setid.mat");
 * ```
 * @module
 */
import { readMat } from "./matv5.ts";

/** Content of `labels.json` written by download-flowers. */
export interface FlowersLabels {
  /** Class 1..102 of image i+1 (`image_%05d.jpg`). */
  labels: number[];
  /** 1-based image ids per split. */
  splits: { trnid: number[]; valid: number[]; tstid: number[] };
}

function wholeNumbers(data: Float64Array, file: string, name: string, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (const v of data) {
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new Error(`Cannot read '${file}' variable '${name}': expected whole numbers in ${lo}..${hi}, got ${v}`);
    }
    out.push(v);
  }
  return out;
}

/** Reads and validates the two MAT-files. */
export async function readFlowersLabels(labelsPath: string, setidPath: string): Promise<FlowersLabels> {
  const labelVars = readMat(await Deno.readFile(labelsPath), labelsPath);
  const labelsVar = labelVars.get("labels");
  if (!labelsVar) throw new Error(`Cannot read '${labelsPath}': no numeric variable 'labels' (found: ${[...labelVars.keys()].join(", ") || "none"})`);
  const labels = wholeNumbers(labelsVar.data, labelsPath, "labels", 1, 102);
  const setVars = readMat(await Deno.readFile(setidPath), setidPath);
  const split = (name: "trnid" | "valid" | "tstid") => {
    const v = setVars.get(name);
    if (!v) throw new Error(`Cannot read '${setidPath}': no numeric variable '${name}'`);
    return wholeNumbers(v.data, setidPath, name, 1, labels.length);
  };
  return { labels, splits: { trnid: split("trnid"), valid: split("valid"), tstid: split("tstid") } };
}
