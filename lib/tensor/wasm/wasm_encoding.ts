/**
 * Just enough of the WebAssembly binary format to assemble small SIMD kernels at run time
 * (LEB128 integers, sections, vectors, opcodes used by `simd_kernels.ts` and
 * `bench/wasm_simd_peak.ts`).
 *
 * @example
 * ```ts
 * const bytes = [...WASM_HEADER, ...section(1, vec([[0x60, 0, 0]]))]; // one type: () -> ()
 * ```
 * @module
 */

/** Magic number and version 1. */
export const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00] as const;

/** Value types. */
export const T = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;

/** Prefix of every SIMD instruction. */
export const SIMD = 0xfd;

/**
 * Unsigned LEB128.
 *
 * @example
 * ```ts
 * uleb(624485); // [0xe5, 0x8e, 0x26]
 * ```
 */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/**
 * Signed LEB128 (32-bit values).
 *
 * @example
 * ```ts
 * sleb(-1); // [0x7f]
 * ```
 */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/**
 * A section: id, byte length, body.
 *
 * @example
 * ```ts
 * section(3, vec([[0]])); // function section: one function of type 0
 * ```
 */
export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/**
 * A vector: count, then the items' bytes.
 *
 * @example
 * ```ts
 * vec([[0x7f], [0x7d]]); // [2, 0x7f, 0x7d]
 * ```
 */
export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/**
 * A function body: local declarations ([count, type] runs), code, and its size prefix.
 *
 * @example
 * ```ts
 * funcBody([[1, T.i32]], [0x0b]); // one i32 local, empty body
 * ```
 */
export function funcBody(locals: [number, number][], code: number[]): number[] {
  const body = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code];
  return [...uleb(body.length), ...body];
}

/**
 * A name as the binary format stores it (length-prefixed UTF-8).
 *
 * @example
 * ```ts
 * name("run"); // [3, 114, 117, 110]
 * ```
 */
export function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}
