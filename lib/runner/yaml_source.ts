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
  return { file, doc, lineCounter, value: doc.toJS() };
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
