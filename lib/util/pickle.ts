/**
 * A restricted interpreter for Python's pickle format (protocols 0–5, the opcodes a data
 * structure needs). It never executes anything: a `GLOBAL` is resolved only through the caller's
 * `globals` table — any other name is refused at once, naming it — and `REDUCE`/`NEWOBJ`/`BUILD`
 * call only the functions that table gives. Dicts become `Map`s, lists and tuples arrays,
 * `bytes` `Uint8Array`s, integers numbers (bigint past 2^53). Persistent ids (how PyTorch refers
 * to tensor storages) go to the caller's `persistentLoad`.
 *
 * @example
 * ```ts ignore
 * import { PickleGlobal, unpickle } from "./pickle.ts";
 * const table = { "collections.OrderedDict": { call: () => new Map() } };
 * const { value, end } = unpickle(bytes, { globals: table, source: "'model.pth'" });
 * ```
 * @module
 */

/** What a permitted global can do when a pickle calls it (REDUCE / NEWOBJ) or builds it (BUILD). */
export interface GlobalHandler {
  /** Called with the REDUCE/NEWOBJ arguments; returns the object. */
  call?: (args: unknown[]) => unknown;
}

/** A resolved global on the stack: its dotted name and handler. */
export class PickleGlobal {
  constructor(readonly name: string, readonly handler: GlobalHandler) {}
}

/** Options of `unpickle`. */
export interface UnpickleOptions {
  /** Permitted globals by dotted name ("collections.OrderedDict"); every other name is refused. */
  globals: Record<string, GlobalHandler>;
  /** Resolves a persistent id (BINPERSID/PERSID); without it persistent ids are refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Applies BUILD state to an object the table made; without it BUILD is refused. Return the object. */
  build?: (obj: unknown, state: unknown) => unknown;
  /** Names the data in errors ("'model.pth'"). */
  source?: string;
  /** Why a refused global is refused, appended to the error (default: nothing). */
  refusal?: string;
}

/** Opcode names for errors. */
const NAMES: Record<number, string> = {
  0x69: "INST", 0x6f: "OBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS",
  0x91: "FROZENSET", 0x92: "NEWOBJ_EX", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
};

/**
 * Interprets one pickle starting at `offset`; returns the value and the offset after its STOP
 * (PyTorch's legacy format holds several pickles back to back).
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions, offset = 0): { value: unknown; end: number } {
  const source = options.source ?? "pickle data";
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder("latin1"), utf8 = new TextDecoder();
  const fail = (why: string): never => {
    throw new Error(`Cannot read ${source}: ${why}`);
  };
  let p = offset;
  const need = (n: number) => {
    if (p + n > bytes.length) fail(`the pickle ends in the middle of an opcode at byte ${p} (truncated file?)`);
  };
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const u64 = () => {
    need(8);
    p += 8;
    const v = dv.getBigUint64(p - 8, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a length of ${v} bytes at byte ${p - 8} is not plausible`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (p += n), bytes.subarray(p - n, p));
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail(`a text opcode at byte ${p} has no end of line`);
    const s = latin1.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const pop = () => (stack.length === 0 ? fail(`stack underflow at byte ${p}`) : stack.pop());
  const top = () => (stack.length === 0 ? fail(`stack underflow at byte ${p}`) : stack[stack.length - 1]);
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) fail(`an opcode at byte ${p - 1} needs a MARK that is not there`);
    return stack.splice(m as number);
  };
  const resolveGlobal = (module: string, name: string) => {
    const full = `${module}.${name}`;
    const handler = Object.hasOwn(options.globals, full) ? options.globals[full] : undefined;
    if (!handler) fail(`its pickle names the global '${full}'${options.refusal ? `, ${options.refusal}` : ""}; refusing to load it (nothing was executed)`);
    return new PickleGlobal(full, handler as GlobalHandler);
  };
  const call = (fn: unknown, args: unknown, op: string) => {
    if (!(fn instanceof PickleGlobal)) fail(`${op} at byte ${p - 1} calls something that is not a permitted global`);
    const g = fn as PickleGlobal;
    if (!g.handler.call) fail(`${op} at byte ${p - 1} calls '${g.name}', which may not be called`);
    if (!Array.isArray(args)) fail(`${op} at byte ${p - 1} passes '${g.name}' arguments that are not a tuple`);
    return g.handler.call!(args as unknown[]);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail(`SETITEM(S) at byte ${p - 1} targets something that is not a dict`);
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail(`APPEND(S) at byte ${p - 1} targets something that is not a list`);
    (list as unknown[]).push(...items);
  };
  const toNumber = (v: bigint) => (v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const long = (b: Uint8Array) => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return toNumber(v);
  };

  for (;;) {
    if (p >= bytes.length) fail(`the pickle has no STOP opcode (truncated file?)`);
    const at = p;
    const op = bytes[p++];
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: return { value: pop(), end: p }; // STOP
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(take(u8()))); break; // LONG1
      case 0x8b: stack.push(long(take(u32()))); break; // LONG4
      case 0x49: { // INT (text; "01"/"00" are True/False)
        const s = line();
        stack.push(s === "01" ? true : s === "00" ? false : toNumber(BigInt(s)));
        break;
      }
      case 0x4c: stack.push(toNumber(BigInt(line().replace(/L$/, "")))); break; // LONG (text)
      case 0x47: stack.push((need(8), (p += 8), dv.getFloat64(p - 8, false))); break; // BINFLOAT (big-endian)
      case 0x46: stack.push(Number(line())); break; // FLOAT (text)
      case 0x58: stack.push(utf8.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(take(u64()))); break; // BINUNICODE8
      case 0x54: stack.push(latin1.decode(take(i32()))); break; // BINSTRING (Python 2 str)
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x63: { const module = line(); stack.push(resolveGlobal(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail(`STACK_GLOBAL at byte ${at} names a global with non-string parts`);
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(), fn = pop(); stack.push(call(fn, args, "REDUCE")); break; } // REDUCE
      case 0x81: { const args = pop(), cls = pop(); stack.push(call(cls, args, "NEWOBJ")); break; } // NEWOBJ
      case 0x62: { // BUILD
        const state = pop(), obj = pop();
        if (!options.build) fail(`BUILD at byte ${at} would set the state of an object, which this reader does not allow`);
        stack.push(options.build!(obj, state));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail(`a persistent id at byte ${at} is not allowed here`);
        stack.push(options.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID (text)
        const pid = line();
        if (!options.persistentLoad) fail(`a persistent id at byte ${at} is not allowed here`);
        stack.push(options.persistentLoad!(pid));
        break;
      }
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: case 0x68: case 0x6a: { // GET, BINGET, LONG_BINGET
        const key = op === 0x67 ? Number(line()) : op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`memo entry ${key} read at byte ${at} was never stored`);
        stack.push(memo.get(key));
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, "0")}${NAMES[op] ? ` (${NAMES[op]})` : ""} at byte ${at} is not allowed in a state_dict pickle; refusing to load it (nothing was executed)`);
    }
  }
}
