/**
 * Streaming MD5 of a file (download verification; MD5 is what the dataset sites publish).
 *
 * @example
 * ```ts
 * import { md5File } from "./md5.ts";
 * console.log(await md5File("102flowers.tgz")); // "52808999861908f626f3c1f4e79d11fa"
 * ```
 * @module
 */
import { createHash } from "node:crypto";

/** Hex MD5 of the file at `path`, read in chunks. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
