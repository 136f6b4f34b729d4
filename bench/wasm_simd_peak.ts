/**
 * Peak float32 throughput of one wasm SIMD128 thread on this machine, from a GEMM-style inner
 * loop (the shape of XNNPACK's 4×8 and 6×8 micro-kernels: 2 vector loads of B, 4 or 6 broadcast
 * loads of A, 8 or 12 multiply-adds, data in L1), in three flavours: mul + add (what the tfjs wasm build can
 * use), relaxed-SIMD fused multiply-add (not in tfjs's build), and scalar f32 for reference.
 * Prints GFLOP/s per flavour; compare with what the VanillaNet bench achieves.
 *
 * Usage: deno run bench/wasm_simd_peak.ts [--iters N]
 *
 * @example
 * ```sh
 * deno run bench/wasm_simd_peak.ts   # "simd mul+add: 40.1 GFLOP/s …"
 * ```
 * @module
 */

import { funcBody, name, section, sleb, SIMD, T, uleb, vec, WASM_HEADER } from "../lib/tensor/wasm/wasm_encoding.ts";

const V128 = T.v128, I32 = T.i32, F32 = T.f32;

type Flavour = "mul+add" | "fma" | "scalar";

/**
 * The body of `run(n: i32) -> f32`: n iterations of the micro-kernel over a 4 KiB buffer.
 * Locals: 0 = n, 1 = p (byte offset), 2 = a (broadcast A), 3–4 = b0/b1, 5–16 = accumulators.
 */
function kernelBody(flavour: Flavour, rows: number): number[] {
  const get = (i: number) => [0x20, ...uleb(i)], set = (i: number) => [0x21, ...uleb(i)];
  const code: number[] = [];
  const scalar = flavour === "scalar";
  const load = scalar ? (off: number) => [...get(1), 0x2a, 2, ...uleb(off)] : (off: number) => [...get(1), SIMD, 0x00, 4, ...uleb(off)];
  const splat = scalar ? (off: number) => [...get(1), 0x2a, 2, ...uleb(off)] : (off: number) => [...get(1), SIMD, 0x09, 2, ...uleb(off)];
  const mul = scalar ? [0x94] : [SIMD, 0xe6, 0x01], add = scalar ? [0x92] : [SIMD, 0xe4, 0x01];
  const madd = [SIMD, 0x85, 0x02];
  code.push(0x03, 0x40); // loop
  code.push(...load(0), ...set(3), ...load(16), ...set(4));
  for (let i = 0; i < rows; i++) {
    code.push(...splat(32 + 4 * i), ...set(2));
    for (let j = 0; j < 2; j++) {
      const acc = 5 + 2 * i + j;
      if (flavour === "fma") code.push(...get(2), ...get(3 + j), ...get(acc), ...madd, ...set(acc));
      else code.push(...get(acc), ...get(2), ...get(3 + j), ...mul, ...add, ...set(acc));
    }
  }
  code.push(...get(1), 0x41, ...sleb(64), 0x6a, 0x41, ...sleb(4095), 0x71, ...set(1)); // p = (p + 64) & 4095
  code.push(...get(0), 0x41, ...sleb(1), 0x6b, 0x22, ...uleb(0), 0x0d, 0x00, 0x0b); // n -= 1; br_if loop
  // Sum lane 0 of all accumulators so none is dead code.
  code.push(0x43, 0, 0, 0, 0);
  for (let i = 0; i < 12; i++) code.push(...get(5 + i), ...(scalar ? [] : [SIMD, 0x1f, 0]), 0x92);
  code.push(0x0b);
  const lane = scalar ? F32 : V128;
  return funcBody([[1, I32], [1, lane], [2, lane], [12, lane]], code);
}

function buildModule(flavour: Flavour, rows: number): Uint8Array<ArrayBuffer> {
  const bytes = [
    ...WASM_HEADER,
    ...section(1, vec([[0x60, 1, I32, 1, F32]])), // type: (i32) -> f32
    ...section(3, vec([[0]])), // one function of type 0
    ...section(5, vec([[0x00, 1]])), // memory: min 1 page
    ...section(7, vec([[...name("run"), 0x00, 0]])), // export "run"
    ...section(10, vec([kernelBody(flavour, rows)])),
  ];
  return new Uint8Array(bytes);
}

/** FLOPs of one loop iteration: rows × 2 multiply-adds of 4 lanes (1 lane for scalar). */
function flopsPerIteration(flavour: Flavour, rows: number): number {
  return rows * 2 * 2 * (flavour === "scalar" ? 1 : 4);
}

function measure(flavour: Flavour, rows: number, iters: number): number | string {
  const bytes = buildModule(flavour, rows);
  if (!WebAssembly.validate(bytes)) return "not supported by this engine";
  const run = (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run as (n: number) => number);
  run(Math.min(iters, 1e6)); // tier up
  const best: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    run(iters);
    best.push(performance.now() - t0);
  }
  const ms = Math.min(...best);
  return (flopsPerIteration(flavour, rows) * iters) / (ms * 1e6);
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--iters");
  const iters = i >= 0 ? Number(Deno.args[i + 1]) : 20_000_000;
  if (!Number.isInteger(iters) || iters < 1) throw new Error(`Cannot read --iters: expected a positive integer, got '${Deno.args[i + 1]}'`);
  console.log(`one thread, ${iters} iterations of a GEMM-style inner loop (rows×8 tile), best of 5`);
  for (const rows of [4, 6]) {
    for (const flavour of ["mul+add", "fma", "scalar"] as const) {
      const r = measure(flavour, rows, iters);
      console.log(`  ${rows}×8 ${flavour.padEnd(8)} ${typeof r === "number" ? `${r.toFixed(1)} GFLOP/s` : r}`);
    }
  }
}
