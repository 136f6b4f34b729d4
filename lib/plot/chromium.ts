/**
 * Opens an HTML page in headless Chromium (Debian's `/usr/bin/chromium`), takes a screenshot and
 * checks that every image loaded and nothing logged an error. The check runs on a probed copy of
 * the page (written next to it so relative links resolve, removed afterwards): a script inserted
 * first in `<head>` records `console.error` calls, script errors, failed resource loads and
 * unhandled rejections, and at `load` moves every range slider to both ends (noting which image
 * frame shows) and lists images that are not complete with a natural width;
 * Chromium's `--dump-dom` returns the result in the DOM. The screenshot is of the unmodified page.
 *
 * @example
 * ```ts
 * import { probePage } from "./chromium.ts";
 * const result = await probePage("outputs/demo/report.html", { screenshot: "/tmp/report.png" });
 * if (result.broken.length || result.errors.length) throw new Error(JSON.stringify(result));
 * ```
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { exists } from "../util/fs.ts";

/** Chromium binary used by the report test (Debian package `chromium`). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a quiet, isolated, reproducible headless run. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
  "--allow-file-access-from-files",
];

/** What {@link probePage} found. */
export interface PageProbe {
  /** Number of `<img>` elements. */
  images: number;
  /** Alt text (or URL prefix) of images that did not load. */
  broken: string[];
  /** Console errors, script errors, failed resources, unhandled rejections. */
  errors: string[];
  /** Natural sizes of the images, in page order. */
  sizes: [number, number][];
  /**
   * Every `<input type="range">`, moved to its minimum and then its maximum (an `input` event
   * each): how many `<img>` frames share its parent, and the index of the one displayed before,
   * at the minimum and at the maximum (−1: none), with the parent's `<output>` text at each end.
   */
  sliders: { frames: number; before: number; atMin: number; atMax: number; labelMin: string; labelMax: string }[];
  /** The screenshot file, when one was asked for. */
  screenshot?: string;
}

/** Options of {@link probePage}. */
export interface ProbeOptions {
  /** Where to write a PNG screenshot of the page (skipped when absent). */
  screenshot?: string;
  /** Window size in CSS px; default 1400×2000. */
  width?: number;
  height?: number;
  /** Kill Chromium after this many ms (default 90,000). */
  timeoutMs?: number;
}

const PROBE_SCRIPT = `<script>(function () {
  var errors = [];
  var original = console.error;
  console.error = function () { errors.push("console.error: " + Array.prototype.map.call(arguments, String).join(" ")); return original.apply(console, arguments); };
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) errors.push("failed to load: " + String(t.src || t.href).slice(0, 120));
    else errors.push("error: " + e.message);
  }, true);
  window.addEventListener("unhandledrejection", function (e) { errors.push("unhandled rejection: " + String(e.reason)); });
  window.addEventListener("load", function () {
    // Exercise every range slider like a reader: move it to each end and note which frame shows.
    var sliders = Array.prototype.slice.call(document.querySelectorAll("input[type=range]")).map(function (s) {
      var frames = Array.prototype.slice.call(s.parentNode.querySelectorAll("img"));
      var shown = function () { return frames.map(function (f) { return !f.hidden && f.offsetWidth > 0; }).indexOf(true); };
      var before = shown();
      s.value = s.min; s.dispatchEvent(new Event("input"));
      var atMin = shown(), labelMin = (s.parentNode.querySelector("output") || {}).textContent || "";
      s.value = s.max; s.dispatchEvent(new Event("input"));
      var atMax = shown(), labelMax = (s.parentNode.querySelector("output") || {}).textContent || "";
      return { frames: frames.length, before: before, atMin: atMin, atMax: atMax, labelMin: labelMin, labelMax: labelMax };
    });
    var images = Array.prototype.slice.call(document.images);
    var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.alt || String(i.src).slice(0, 80); });
    var out = document.createElement("pre");
    out.id = "__page_probe__";
    out.textContent = JSON.stringify({ images: images.length, broken: broken, errors: errors, sizes: images.map(function (i) { return [i.naturalWidth, i.naturalHeight]; }), sliders: sliders });
    document.body.appendChild(out);
  });
})();</script>`;

/** The page with the probe script inserted first thing in `<head>` (or at the top). */
export function withProbe(html: string): string {
  const head = html.match(/<head[^>]*>/i);
  if (head) return html.replace(head[0], head[0] + PROBE_SCRIPT);
  return PROBE_SCRIPT + html;
}

async function runChromium(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  if (!(await exists(CHROMIUM_PATH))) {
    throw new Error(`Cannot open the page in Chromium: ${CHROMIUM_PATH} not found (install the Debian package 'chromium')`);
  }
  const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
  try {
    const child = new Deno.Command(CHROMIUM_PATH, { args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], stdout: "piped", stderr: "piped" }).spawn();
    const timer = setTimeout(() => {
      try { child.kill("SIGKILL"); } catch { /* already exited */ }
    }, timeoutMs);
    const out = await child.output();
    clearTimeout(timer);
    const decoder = new TextDecoder();
    const result = { stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
    if (!out.success) throw new Error(`Chromium exited with code ${out.code}${out.signal ? ` (${out.signal}, timeout ${timeoutMs} ms?)` : ""}: ${result.stderr.slice(-600)}`);
    return result;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

function unescapeHtml(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, "\u00a0").replace(/&amp;/g, "&");
}

/** Loads `htmlPath` in headless Chromium; see the module doc. */
export async function probePage(htmlPath: string, options: ProbeOptions = {}): Promise<PageProbe> {
  const path = resolve(htmlPath);
  const timeoutMs = options.timeoutMs ?? 90_000;
  const probePath = join(dirname(path), `.probe-${crypto.randomUUID().slice(0, 8)}-${basename(path)}`);
  await Deno.writeTextFile(probePath, withProbe(await Deno.readTextFile(path)));
  let dom: string;
  try {
    dom = (await runChromium(["--virtual-time-budget=10000", "--dump-dom", pathToFileURL(probePath).href], timeoutMs)).stdout;
  } finally {
    await Deno.remove(probePath).catch(() => {});
  }
  const match = dom.match(/<pre id="__page_probe__">([\s\S]*?)<\/pre>/);
  if (!match) throw new Error(`Cannot check '${htmlPath}' in Chromium: the page never reached its load event (no probe result in the dumped DOM)`);
  const result = JSON.parse(unescapeHtml(match[1])) as PageProbe;
  if (options.screenshot) {
    const screenshot = resolve(options.screenshot);
    await runChromium([`--screenshot=${screenshot}`, `--window-size=${options.width ?? 1400},${options.height ?? 2000}`, pathToFileURL(path).href], timeoutMs);
    if (!(await exists(screenshot))) throw new Error(`Chromium did not write the screenshot '${screenshot}'`);
    result.screenshot = screenshot;
  }
  return result;
}
