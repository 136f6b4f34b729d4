/**
 * The fonts every figure is rendered with, bundled from the `dejavu-fonts-ttf` npm package so a
 * PNG never depends on the fonts installed on the machine.
 *
 * @example
 * ```ts
 * import { FIGURE_FONT_FAMILY, figureFontFiles } from "./fonts.ts";
 * const files = figureFontFiles(); // absolute paths of DejaVuSans*.ttf
 * console.log(FIGURE_FONT_FAMILY, files.length);
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";

/** The family name figures ask for; resvg resolves it (and `sans-serif`) to the bundled files. */
export const FIGURE_FONT_FAMILY = "DejaVu Sans";

const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"];

let cached: string[] | null = null;

/**
 * Absolute paths of the bundled TTF files, resolved through `deno.json`'s `dejavu-fonts-ttf/`
 * import so they follow the pinned package version.
 */
export function figureFontFiles(): string[] {
  if (cached) return cached;
  const files = FONT_FILES.map((name) => fileURLToPath(import.meta.resolve(`dejavu-fonts-ttf/ttf/${name}`)));
  for (const file of files) {
    if (!existsSync(file)) {
      throw new Error(`Cannot load the figure font '${file}': file not found (is npm:dejavu-fonts-ttf@2.37.3 installed? run 'deno install')`);
    }
  }
  cached = files;
  return files;
}
