/**
 * A parsed YAML file that remembers where every value came from, so errors can say
 * `pipelines/demo.yaml:12:7`. Invalid YAML is reported with the parser's line and column.
 *
 * @example
 * ```ts
 * import { parseYamlSource, locate } from "./yaml_source.ts";
 * const src = parseYamlSource("pipelines/x.yaml", "steps:\n  a:\n    task: t\n");
 * locate(src, ["steps", "a", "task"]); // "pipelines/x.yaml:3:11"
 * ```
 * @module
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import { UserError } from "./errors.ts";

/** A YAML document with its display name and line index. */
export interface YamlSource {
  /** Path shown in messages (relative to the project root). */
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  /** The plain JavaScript value of the document. */
  value: unknown;
}

/** Largest pipeline or config file read (bytes); larger ones are refused before parsing. */
export const MAX_YAML_BYTES = 1 << 20;

/** Alias expansions allowed in one file (the `yaml` package's default guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

/** Parses `text`; throws a {@link UserError} naming `file:line:col` when it is not valid YAML. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    const firstLine = err.message.split("\n")[0];
    throw new UserError(`Cannot parse ${file}:${pos.line}:${pos.col}: invalid YAML (${firstLine})`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package stops alias bombs ("billion laughs") with a ReferenceError.
    throw new UserError(`Cannot parse ${file}: its aliases expand too far (${(e as Error).message}); write the values out instead of nesting *aliases`);
  }
  return { file, doc, lineCounter, value };
}

/** Byte offset of the first invalid UTF-8 sequence in `bytes`, or -1 when it is all valid. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      let lo = 0x80, hi = 0xbf;
      if (k === 1 && b === 0xe0) lo = 0xa0; // no overlong 3-byte forms
      if (k === 1 && b === 0xed) hi = 0x9f; // no UTF-16 surrogates
      if (k === 1 && b === 0xf0) lo = 0x90; // no overlong 4-byte forms
      if (k === 1 && b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
      if (c === undefined || c < lo || c > hi) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * Reads and parses a pipeline or config file: `display` is the path shown in messages. Refuses,
 * with a {@link UserError} naming the file, files over {@link MAX_YAML_BYTES}, bytes that are not
 * UTF-8 (with the byte offset and line), invalid YAML and alias bombs. A missing file throws
 * `Deno.errors.NotFound` for the caller to word.
 */
export async function readYamlFile(path: string, display: string): Promise<YamlSource> {
  const info = await Deno.stat(path);
  if (info.size > MAX_YAML_BYTES) {
    throw new UserError(`Cannot read ${display}: the file has ${info.size} bytes; pipeline and config files may have at most ${MAX_YAML_BYTES} (1 MiB)`);
  }
  const bytes = await Deno.readFile(path);
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    let line = 1, lineStart = 0;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++, lineStart = i + 1;
    const hex = Array.from(bytes.subarray(bad, bad + 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new UserError(`Cannot read ${display}: invalid UTF-8 at byte ${bad} (line ${line}, byte ${bad - lineStart + 1} of the line: ${hex}); save the file as UTF-8`);
  }
  return parseYamlSource(display, new TextDecoder().decode(bytes));
}

/**
 * `file:line:col` of the value at `path`, or of the deepest existing ancestor when the value is
 * missing. With `atKey`, points at the key of the last path element (for "unknown key" errors).
 */
export function locate(src: YamlSource, path: readonly (string | number)[], atKey = false): string {
  let node: unknown = src.doc.contents;
  let offset = (node as { range?: number[] } | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === String(part));
      if (!pair) break;
      const keyRange = (pair.key as { range?: number[] } | null)?.range;
      const valueRange = (pair.value as { range?: number[] } | null)?.range;
      const last = i === path.length - 1;
      offset = (last && atKey ? keyRange?.[0] : valueRange?.[0] ?? keyRange?.[0]) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number" && node.items[part] !== undefined) {
      node = node.items[part];
      offset = (node as { range?: number[] } | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  const pos = src.lineCounter.linePos(offset);
  return `${src.file}:${pos.line}:${pos.col}`;
}
