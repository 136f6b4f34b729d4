/**
 * Safe extraction of a `.tar.gz` (tar-stream + node:zlib). Entries with absolute paths or `..`
 * segments, and links pointing outside the destination, are rejected; a truncated or corrupt
 * archive is an error. On any error the destination directory is removed, so nothing half-extracted
 * survives. Only regular files, directories and in-tree links are created; paths are checked both
 * lexically and after resolving links (so chains of links cannot lead out either).
 *
 * @example
 * ```ts
 * import { extractTarGz } from "./extract_tgz.ts";
 * const { files } = await extractTarGz("102flowers.tgz", "out/.extract");
 * ```
 * @module
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { pipeline } from "node:stream";
import { dirname, join, posix, resolve, sep } from "node:path";
import tar from "tar-stream";

/** Checks a tar entry name and returns its safe relative path, or null for the archive root. */
export function safeEntryPath(name: string, archive: string): string | null {
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name) || name.includes("\\")) {
    throw new Error(`Cannot extract '${archive}': entry '${name}' has an absolute path`);
  }
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new Error(`Cannot extract '${archive}': entry '${name}' escapes the destination with '..'`);
  return parts.length === 0 ? null : parts.join("/");
}

function inside(root: string, path: string): boolean {
  const r = resolve(root);
  const p = resolve(path);
  return p === r || p.startsWith(r + sep);
}

/** Real (symlink-resolved) path of `path`'s nearest existing ancestor, then the rest appended. */
async function realPathOfNearest(path: string): Promise<string> {
  const rest: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      return join(await Deno.realPath(current), ...rest.reverse());
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      const parent = dirname(current);
      if (parent === current) throw e;
      rest.push(current.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      current = parent;
    }
  }
}

/**
 * Extracts `archive` into `dest` (created; must not exist yet). `onFile` is called after each
 * regular file with the running count. Returns the number of regular files.
 */
export async function extractTarGz(
  archive: string,
  dest: string,
  options: { signal?: AbortSignal; onFile?: (count: number, path: string) => void } = {},
): Promise<{ files: number }> {
  await Deno.mkdir(dest, { recursive: false });
  const realDest = await Deno.realPath(dest);
  // Lexical checks cannot see through links made by earlier entries (a link to a link that goes
  // up), so every write and link is also checked on the real, symlink-resolved path.
  const mustStayInside = async (path: string, entryName: string) => {
    if (!inside(realDest, await realPathOfNearest(path))) {
      throw new Error(`Cannot extract '${archive}': entry '${entryName}' resolves outside the destination through a link`);
    }
  };
  const links: { path: string; name: string; linkName: string }[] = [];
  const extract = tar.extract();
  let streamError: Error | null = null;
  const piped = new Promise<void>((done) =>
    pipeline(createReadStream(archive), createGunzip(), extract, (e) => {
      if (e) streamError = e;
      done();
    })
  );
  let files = 0;
  try {
    for await (const entry of extract) {
      options.signal?.throwIfAborted();
      const header = entry.header;
      const rel = safeEntryPath(header.name, archive);
      const target = rel === null ? dest : join(dest, rel);
      if (header.type === "directory") {
        await mustStayInside(target, header.name);
        await Deno.mkdir(target, { recursive: true });
      } else if (header.type === "file" || header.type === "contiguous-file") {
        if (rel === null) throw new Error(`Cannot extract '${archive}': a file entry has an empty name`);
        await mustStayInside(dirname(target), header.name);
        await Deno.mkdir(dirname(target), { recursive: true });
        // A later entry replaces an earlier one (tar semantics); never write through a link.
        if (await Deno.lstat(target).then(() => true, () => false)) await Deno.remove(target);
        using file = await Deno.open(target, { write: true, createNew: true });
        for await (const piece of entry) {
          const chunk = piece as Uint8Array;
          let written = 0;
          while (written < chunk.length) written += await file.write(chunk.subarray(written));
        }
        files++;
        options.onFile?.(files, rel);
        continue;
      } else if (header.type === "symlink" || header.type === "link") {
        const linkName = header.linkname ?? "";
        // Hard-link names are relative to the archive root; symlink targets to the link's folder.
        const pointsTo = header.type === "link"
          ? join(dest, safeEntryPath(linkName, archive) ?? "")
          : posix.isAbsolute(linkName) ? linkName : join(dirname(target), linkName);
        if (rel === null || !inside(dest, pointsTo) || pointsTo === resolve(dest)) {
          throw new Error(`Cannot extract '${archive}': link '${header.name}' → '${linkName}' points outside the destination`);
        }
        await mustStayInside(dirname(target), header.name);
        await Deno.mkdir(dirname(target), { recursive: true });
        if (header.type === "link") {
          await mustStayInside(pointsTo, header.name);
          await Deno.copyFile(pointsTo, target);
        } else {
          await Deno.symlink(linkName, target);
          links.push({ path: target, name: header.name, linkName });
        }
      }
      // Devices, FIFOs and global headers carry no dataset content: drain and skip them.
      entry.resume();
    }
    await piped;
    if (streamError) throw streamError;
    for (const link of links) {
      const real = await Deno.realPath(link.path).catch(() => null);
      if (real === null || !inside(realDest, real)) {
        throw new Error(`Cannot extract '${archive}': link '${link.name}' → '${link.linkName}' ${real === null ? "is dangling" : "points outside the destination"}`);
      }
    }
  } catch (e) {
    extract.destroy();
    await piped;
    await Deno.remove(dest, { recursive: true }).catch(() => {});
    const own = (e as Error).message?.startsWith("Cannot extract");
    const err = (own ? e : streamError ?? e) as Error;
    if (err.message.startsWith("Cannot extract")) throw err;
    throw new Error(`Cannot extract '${archive}': the archive is truncated or corrupt (${err.message}); nothing was kept`);
  }
  return { files };
}
