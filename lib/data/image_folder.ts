/**
 * Lists an image directory the way torchvision's `ImageFolder` does: classes are the sorted
 * sub-directories of the root, each class's files are found recursively, ordered by directory path
 * then file name, and filtered by image extension (case-insensitive).
 *
 * @example
 * ```ts
 * import { listImageFolder } from "./image_folder.ts";
 * const { files, labels, classes } = await listImageFolder("data/flowers");
 * ```
 * @module
 */
import { join } from "node:path";

/** Extensions sharp can decode among torchvision's IMG_EXTENSIONS. */
export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"];

function isImage(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

async function walk(dir: string, into: { dir: string; name: string }[]): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    let isDir = e.isDirectory, isFile = e.isFile;
    if (e.isSymlink) {
      const s = await Deno.stat(path);
      isDir = s.isDirectory;
      isFile = s.isFile;
    }
    if (isDir) await walk(path, into);
    else if (isFile && isImage(e.name)) into.push({ dir, name: e.name });
  }
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The image files under `root` with their class index (position of the class in `classes`). */
export async function listImageFolder(root: string): Promise<{ files: string[]; labels: Int32Array; classes: string[] }> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(root));
  } catch (e) {
    throw new Error(`Cannot read image folder '${root}': ${(e as Error).message}`);
  }
  const classes: string[] = [];
  for (const e of entries) {
    if (e.isDirectory || (e.isSymlink && (await Deno.stat(join(root, e.name))).isDirectory)) classes.push(e.name);
  }
  classes.sort(byCodePoint);
  if (classes.length === 0) {
    throw new Error(`Cannot read image folder '${root}': expected class sub-directories (as torchvision's ImageFolder does), found none`);
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (let k = 0; k < classes.length; k++) {
    const found: { dir: string; name: string }[] = [];
    await walk(join(root, classes[k]), found);
    found.sort((a, b) => byCodePoint(a.dir, b.dir) || byCodePoint(a.name, b.name));
    for (const f of found) {
      files.push(join(f.dir, f.name));
      labels.push(k);
    }
  }
  if (files.length === 0) throw new Error(`Cannot read image folder '${root}': no ${IMAGE_EXTENSIONS.join("/")} files found`);
  return { files, labels: Int32Array.from(labels), classes };
}
