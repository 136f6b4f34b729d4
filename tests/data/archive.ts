/**
 * Builds small `.tar.gz` archives in memory for the download/extract tests, including hostile
 * entries (`../x`, `/etc/x`, outward symlinks) that a careful archiver would refuse to write.
 *
 * @example
 * ```ts
 * import { makeTarGz } from "./archive.ts";
 * const tgz = await makeTarGz([{ name: "jpg/a.jpg", data: new Uint8Array([1]) }]);
 * ```
 * @module
 */
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

/** One archive entry; `type` defaults to "file". */
export interface TarEntry {
  name: string;
  data?: Uint8Array;
  type?: "file" | "directory" | "symlink";
  linkname?: string;
}

/** The gzip-compressed tar of `entries`. */
export async function makeTarGz(entries: TarEntry[]): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Uint8Array[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: unknown) => void chunks.push(c as Uint8Array));
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const e of entries) {
    const type = e.type ?? "file";
    if (type === "file") pack.entry({ name: e.name, type }, e.data ?? new Uint8Array());
    else pack.entry({ name: e.name, type, linkname: e.linkname });
  }
  pack.finalize();
  await done;
  const tarBytes = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    tarBytes.set(c, o);
    o += c.length;
  }
  return new Uint8Array(gzipSync(tarBytes));
}
