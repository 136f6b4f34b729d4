/**
 * Finds the module specifiers a JavaScript/TypeScript source reaches, by tokenizing it (so
 * imports inside comments, strings and doc examples are ignored):
 * static `import … from "x"` / `import "x"`, `export … from "x"`, `import type … from "x"`,
 * dynamic `import("x")` with a literal argument, `import.meta.resolve("x")`, and worker/asset
 * references `new URL("./x.ts", import.meta.url)`.
 *
 * @example
 * ```ts
 * import { findImports } from "./js_imports.ts";
 * findImports('import { a } from "./a.ts"; // import "./nope.ts"\nconst w = new URL("./w.ts", import.meta.url);');
 * // ["./a.ts", "./w.ts"]
 * ```
 * @module
 */

interface Token {
  kind: "id" | "str" | "punc" | "num" | "tpl";
  value: string;
}

const regexAfterKeyword = new Set(["return", "typeof", "case", "in", "of", "new", "delete", "void", "throw", "else", "do", "yield", "await", "instanceof"]);

// Character classes by code, so tokenizing a large module stays a tight loop.
function isIdStartCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 128;
}

function isIdPartCode(c: number): boolean {
  return isIdStartCode(c) || (c >= 48 && c <= 57);
}

function isIdStart(c: string): boolean {
  return isIdStartCode(c.charCodeAt(0));
}


/** Splits source into the tokens the import scan needs; template literals become one token. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;

  const readString = (quote: string): string => {
    let value = "";
    i++;
    while (i < n && src[i] !== quote) {
      if (src[i] === "\\") {
        value += src[i + 1] ?? "";
        i += 2;
      } else if (src[i] === "\n") {
        break; // unterminated: stop at the line end rather than swallow the file
      } else {
        value += src[i++];
      }
    }
    i++;
    return value;
  };

  // Skips a template literal starting at src[i] === "`", including nested `${ … }` expressions.
  const skipTemplate = (): void => {
    i++;
    while (i < n && src[i] !== "`") {
      if (src[i] === "\\") i += 2;
      else if (src[i] === "$" && src[i + 1] === "{") {
        i += 2;
        let depth = 1;
        while (i < n && depth > 0) {
          const c = src[i];
          if (c === "{") depth++, i++;
          else if (c === "}") depth--, i++;
          else if (c === "'" || c === '"') readString(c);
          else if (c === "`") skipTemplate();
          else if (c === "/" && src[i + 1] === "/") while (i < n && src[i] !== "\n") i++;
          else if (c === "/" && src[i + 1] === "*") i = src.indexOf("*/", i + 2) < 0 ? n : src.indexOf("*/", i + 2) + 2;
          else i++;
        }
      } else i++;
    }
    i++;
  };

  const regexAllowed = (): boolean => {
    const prev = tokens[tokens.length - 1];
    if (!prev) return true;
    if (prev.kind === "num" || prev.kind === "str" || prev.kind === "tpl") return false;
    if (prev.kind === "id") return regexAfterKeyword.has(prev.value);
    return !(prev.value === ")" || prev.value === "]" || prev.value === "}");
  };

  while (i < n) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "/" && src[i + 1] === "/") {
      while (i < n && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'" || c === '"') {
      tokens.push({ kind: "str", value: readString(c) });
    } else if (c === "`") {
      skipTemplate();
      tokens.push({ kind: "tpl", value: "`" });
    } else if (isIdStart(c)) {
      const start = i;
      while (i < n && isIdPartCode(src.charCodeAt(i))) i++;
      tokens.push({ kind: "id", value: src.slice(start, i) });
    } else if (c >= "0" && c <= "9") {
      const start = i;
      while (i < n && (isIdPartCode(src.charCodeAt(i)) || src[i] === ".")) i++;
      tokens.push({ kind: "num", value: src.slice(start, i) });
    } else if (c === "/" && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < n && src[i] !== "\n") {
        const r = src[i];
        if (r === "\\") i += 2;
        else if (r === "[") inClass = true, i++;
        else if (r === "]") inClass = false, i++;
        else if (r === "/" && !inClass) break;
        else i++;
      }
      i++;
      while (i < n && isIdPartCode(src.charCodeAt(i))) i++;
      tokens.push({ kind: "tpl", value: "/re/" });
    } else {
      tokens.push({ kind: "punc", value: c });
      i++;
    }
  }
  return tokens;
}

/** The literal module specifiers `source` reaches, in order of appearance, without duplicates. */
export function findImports(source: string): string[] {
  const t = tokenize(source);
  const found: string[] = [];
  const is = (k: number, kind: Token["kind"], value?: string) => t[k]?.kind === kind && (value === undefined || t[k].value === value);
  const isMetaAccess = (k: number) => is(k, "id", "import") && is(k + 1, "punc", ".") && is(k + 2, "id", "meta");
  // Scans forward from k for `from "<spec>"`, stopping at a statement end.
  const fromClause = (k: number): string | null => {
    for (let j = k; j < t.length && j < k + 2000; j++) {
      if (is(j, "punc", ";")) return null;
      if (is(j, "id", "from") && is(j + 1, "str")) return t[j + 1].value;
      if (is(j, "str")) return null;
    }
    return null;
  };
  for (let k = 0; k < t.length; k++) {
    const prevIsDot = is(k - 1, "punc", ".");
    if (is(k, "id", "import") && !prevIsDot) {
      if (is(k + 1, "str")) found.push(t[k + 1].value);
      else if (is(k + 1, "punc", "(") && is(k + 2, "str") && (is(k + 3, "punc", ")") || is(k + 3, "punc", ","))) found.push(t[k + 2].value);
      else if (is(k + 1, "id") || is(k + 1, "punc", "{") || is(k + 1, "punc", "*")) {
        const spec = fromClause(k + 1);
        if (spec !== null) found.push(spec);
      }
      if (isMetaAccess(k) && is(k + 3, "punc", ".") && is(k + 4, "id", "resolve") && is(k + 5, "punc", "(") && is(k + 6, "str")) {
        found.push(t[k + 6].value);
      }
    } else if (is(k, "id", "export") && !prevIsDot) {
      if (is(k + 1, "punc", "*") || is(k + 1, "punc", "{") || (is(k + 1, "id", "type") && is(k + 2, "punc", "{"))) {
        let j = k + 1;
        while (j < t.length && !is(j, "punc", "{") && !is(j, "id", "from") && !is(j, "punc", ";")) j++;
        if (is(j, "punc", "{")) while (j < t.length && !is(j, "punc", "}")) j++;
        if (is(j, "punc", "}")) j++;
        if (is(j, "id", "as")) j += 2;
        if (is(j, "id", "from") && is(j + 1, "str")) found.push(t[j + 1].value);
      }
    } else if (is(k, "id", "new") && is(k + 1, "id", "URL") && is(k + 2, "punc", "(") && is(k + 3, "str") && is(k + 4, "punc", ",")) {
      if (isMetaAccess(k + 5) && is(k + 8, "punc", ".") && is(k + 9, "id", "url")) found.push(t[k + 3].value);
    }
  }
  return [...new Set(found)];
}
