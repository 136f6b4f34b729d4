/**
 * Resumable, verified HTTP downloads. Bytes stream into `<dest>.part`; a cut connection keeps the
 * partial file and the next attempt (in this call or a later run) asks for the rest with an HTTP
 * `Range` request. When complete, the file's MD5 is checked: a mismatch deletes it and errors with
 * expected vs got; a match renames it to `dest`. An existing `dest` with the right MD5 is reused.
 *
 * @example
 * ```ts
 * import { downloadFile } from "./download.ts";
 * await downloadFile({
 *   url: "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/setid.mat",
 *   dest: "outputs/.downloads/setid.mat",
 *   md5: "a5357ecc9cb78c4bef273ce3793fc85c",
 *   progress: (done, total) => console.log(done, total),
 * });
 * ```
 * @module
 */
import { basename, dirname } from "node:path";
import { exists } from "../util/fs.ts";
import { md5File } from "./md5.ts";

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  url: string;
  /** Final path; the partial download lives next to it as `<dest>.part`. */
  dest: string;
  /** Expected lowercase hex MD5; null skips verification. */
  md5: string | null;
  /** Extra attempts after a failed one, each resuming where the last stopped (default 3). */
  retries?: number;
  /** Milliseconds before retry k (multiplied by k; default 500). */
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** Milliseconds to wait for the server's response headers before an attempt fails (default: no limit). */
  connectTimeoutMs?: number;
  /** Called as bytes arrive (throttled) with bytes done and the total (0 when unknown). */
  progress?: (done: number, total: number) => void;
  log?: (message: string) => void;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/**
 * Verifies `path` against `md5` (null: no check); on mismatch deletes the file when `deleteBad`,
 * and throws naming `label` (default: the path), the expected and the actual sum.
 */
export async function verifyMd5(path: string, md5: string | null, deleteBad: boolean, label = `'${path}'`): Promise<void> {
  if (md5 === null) return;
  const got = await md5File(path);
  if (got !== md5.toLowerCase()) {
    if (deleteBad) await Deno.remove(path).catch(() => {});
    throw new Error(
      `Cannot verify ${label}: md5 expected ${md5.toLowerCase()}, got ${got}` + (deleteBad ? "; the bad file was deleted" : ""),
    );
  }
}

/** One request: appends to `part` from its current size; throws unless the body arrived in full. */
async function attempt(options: DownloadOptions, part: string): Promise<void> {
  const have = await fileSize(part);
  const headers: HeadersInit = have > 0 ? { Range: `bytes=${have}-` } : {};
  let response: Response;
  try {
    // The connect timeout covers only the wait for the headers, not the body's transfer.
    const waiting = new AbortController();
    const timer = options.connectTimeoutMs ? setTimeout(() => waiting.abort(new Error("timeout")), options.connectTimeoutMs) : undefined;
    const signals = [waiting.signal, ...(options.signal ? [options.signal] : [])];
    try {
      response = await fetch(options.url, { headers, signal: AbortSignal.any(signals) });
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    if (options.signal?.aborted) throw e;
    if (options.connectTimeoutMs && !options.signal?.aborted && (e as Error).message === "timeout") {
      throw new Error(`Cannot download '${options.url}': no answer within ${options.connectTimeoutMs} ms`);
    }
    // fetch's own message is only "fetch failed"; the reason (DNS, refused, TLS) is in its cause.
    const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
    throw new Error(`Cannot download '${options.url}': ${cause}`);
  }
  let offset = 0;
  let total = 0;
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== have) {
      await response.body?.cancel();
      // A server that answers a different range cannot be trusted to append: start over.
      await Deno.remove(part).catch(() => {});
      throw new Error(`Cannot resume '${options.url}': asked for bytes ${have}-, server sent '${response.headers.get("content-range")}'`);
    }
    offset = have;
    total = range[3] === "*" ? 0 : Number(range[3]);
  } else if (response.status === 200) {
    total = Number(response.headers.get("content-length") ?? 0);
  } else if (response.status === 416 && have > 0) {
    await response.body?.cancel();
    await Deno.remove(part).catch(() => {});
    throw new Error(`Cannot resume '${options.url}': the server refused range ${have}- (HTTP 416); the partial file was discarded`);
  } else {
    await response.body?.cancel();
    throw new Error(`Cannot download '${options.url}': HTTP ${response.status} ${response.statusText}`);
  }
  if (!response.body) throw new Error(`Cannot download '${options.url}': the response has no body`);
  using file = await Deno.open(part, { write: true, create: true, truncate: offset === 0, append: offset > 0 });
  let done = offset;
  let lastReport = 0;
  try {
    for await (const chunk of response.body) {
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
      done += chunk.length;
      const now = performance.now();
      if (options.progress && now - lastReport > 250) {
        lastReport = now;
        options.progress(done, total);
      }
    }
  } catch (e) {
    throw new Error(`Cannot download '${options.url}': the connection broke after ${done} of ${total || "?"} bytes (${(e as Error).message})`);
  }
  if (total > 0 && done !== total) {
    throw new Error(`Cannot download '${options.url}': the connection closed after ${done} of ${total} bytes`);
  }
  options.progress?.(done, total);
}

/** Downloads `url` to `dest` (see the module doc); returns `dest`. */
export async function downloadFile(options: DownloadOptions): Promise<string> {
  const { dest } = options;
  const log = options.log ?? (() => {});
  if (await exists(dest)) {
    try {
      await verifyMd5(dest, options.md5, true);
      log(`Using the cached download ${dest}`);
      return dest;
    } catch (e) {
      log(`${(e as Error).message}; downloading again`);
    }
  }
  await Deno.mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const retries = options.retries ?? 3;
  for (let k = 0; ; k++) {
    options.signal?.throwIfAborted();
    try {
      const have = await fileSize(part);
      log(have > 0 ? `Resuming ${basename(dest)} from byte ${have}` : `Downloading ${options.url}`);
      await attempt(options, part);
      break;
    } catch (e) {
      if (options.signal?.aborted || k >= retries) {
        const kept = await fileSize(part);
        const hint = kept > 0 ? `; ${kept} bytes are kept in '${part}' and a re-run resumes from there` : "";
        throw new Error(`${(e as Error).message}${hint}`);
      }
      log(`${(e as Error).message}; retrying (${k + 1} of ${retries})`);
      await new Promise((r) => setTimeout(r, (options.retryDelayMs ?? 500) * (k + 1)));
    }
  }
  await verifyMd5(part, options.md5, true, `the download of '${options.url}'`);
  await Deno.rename(part, dest);
  return dest;
}
