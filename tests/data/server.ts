/**
 * A local HTTP file server on 127.0.0.1 (port 0) for download tests: serves named byte arrays,
 * honours `Range: bytes=N-`, records every request, and can cut the body of the first request
 * for a file halfway (to test resuming).
 *
 * @example
 * ```ts
 * import { serveFiles } from "./server.ts";
 * const server = serveFiles({ "a.bin": new Uint8Array(10) }, { cutFirst: ["a.bin"] });
 * // fetch(`${server.base}a.bin`) ...
 * await server.close();
 * ```
 * @module
 */

/** A recorded request. */
export interface SeenRequest {
  path: string;
  range: string | null;
}

/** Starts the server; `base` ends with "/". */
export function serveFiles(files: Record<string, Uint8Array>, options: { cutFirst?: string[] } = {}) {
  const requests: SeenRequest[] = [];
  const toCut = new Set(options.cutFirst ?? []);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const name = decodeURIComponent(new URL(req.url).pathname.slice(1));
    const range = req.headers.get("range");
    requests.push({ path: name, range });
    const data = files[name];
    if (!data) return new Response("not found", { status: 404 });
    let start = 0;
    let status = 200;
    const headers = new Headers({ "content-type": "application/octet-stream" });
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= data.length) return new Response(null, { status: 416, headers: { "content-range": `bytes */${data.length}` } });
      status = 206;
      headers.set("content-range", `bytes ${start}-${data.length - 1}/${data.length}`);
    }
    const body = data.slice(start);
    headers.set("content-length", String(body.length));
    if (toCut.delete(name)) {
      // Send half the bytes and end early: Content-Length promised more, so the client sees a cut connection.
      const half = body.slice(0, Math.floor(body.length / 2));
      const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
        start(controller) {
          controller.enqueue(half);
          setTimeout(() => controller.close(), 20);
        },
      });
      return new Response(stream, { status, headers });
    }
    return new Response(body, { status, headers });
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    base: `http://127.0.0.1:${addr.port}/`,
    requests,
    close: () => server.shutdown(),
  };
}
