/**
 * CIFAR-10 binary batches (`cifar-10-binary.tar.gz` → `cifar-10-batches-bin/data_batch_1..5.bin`,
 * `test_batch.bin`): records of 1 label byte then 3072 pixel bytes as three 32×32 planes R, G, B.
 * Batches are read from the archive in memory (nothing is extracted) or from a directory.
 *
 * @example
 * ```ts
 * import { readCifarBatches, CIFAR_BATCHES } from "./cifar.ts";
 * const batches = await readCifarBatches("cifar-10-binary.tar.gz", CIFAR_BATCHES.train);
 * ```
 * @module
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { pipeline } from "node:stream";
import { basename, join } from "node:path";
import tar from "tar-stream";
import { exists } from "../util/fs.ts";

/** Bytes per record: label + 3·32·32. */
export const CIFAR_RECORD = 3073;

/** Batch files per split. */
export const CIFAR_BATCHES = {
  train: ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
  test: ["test_batch.bin"],
};

/** Reads the named batch files (by base name) from a `.tar.gz` or a directory; returns them in `names` order. */
export async function readCifarBatches(path: string, names: string[]): Promise<Uint8Array[]> {
  const info = await Deno.stat(path).catch(() => null);
  if (!info) throw new Error(`Cannot read CIFAR-10 from '${path}': no such file or directory`);
  const found = new Map<string, Uint8Array>();
  if (info.isDirectory) {
    for (const name of names) {
      for (const candidate of [join(path, name), join(path, "cifar-10-batches-bin", name)]) {
        if (await exists(candidate)) {
          found.set(name, await Deno.readFile(candidate));
          break;
        }
      }
    }
  } else {
    const extract = tar.extract();
    let streamError: Error | null = null;
    const piped = new Promise<void>((done) =>
      pipeline(createReadStream(path), createGunzip(), extract, (e) => {
        if (e) streamError = e;
        done();
      })
    );
    try {
      for await (const entry of extract) {
        const name = basename(entry.header.name);
        if (entry.header.type === "file" && names.includes(name)) {
          const chunks: Uint8Array[] = [];
          for await (const piece of entry) chunks.push(piece as Uint8Array);
          const bytes = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
          let o = 0;
          for (const c of chunks) {
            bytes.set(c, o);
            o += c.length;
          }
          found.set(name, bytes);
        } else {
          entry.resume();
        }
      }
      await piped;
      if (streamError) throw streamError;
    } catch (e) {
      extract.destroy();
      await piped;
      throw new Error(`Cannot read CIFAR-10 archive '${path}': it is truncated or corrupt (${((streamError ?? e) as Error).message})`);
    }
  }
  return names.map((name) => {
    const bytes = found.get(name);
    if (!bytes) throw new Error(`Cannot read CIFAR-10 from '${path}': batch '${name}' is missing`);
    if (bytes.length % CIFAR_RECORD !== 0) {
      throw new Error(`Cannot read CIFAR-10 batch '${name}' in '${path}': ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD}-byte records`);
    }
    return bytes;
  });
}

/** Record `i` of a batch as HWC RGB bytes and its label. */
export function cifarRecord(batch: Uint8Array, i: number): { label: number; rgb: Uint8Array } {
  const base = i * CIFAR_RECORD;
  const rgb = new Uint8Array(3072);
  for (let p = 0; p < 1024; p++) {
    rgb[3 * p] = batch[base + 1 + p];
    rgb[3 * p + 1] = batch[base + 1 + 1024 + p];
    rgb[3 * p + 2] = batch[base + 1 + 2048 + p];
  }
  return { label: batch[base], rgb };
}
