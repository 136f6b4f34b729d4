/**
 * Finds and opens oneDNN (libdnnl) through Deno FFI. `locateDnnl` is the cheap probe used by
 * `nativeLibraryAvailable`; `openDnnl` returns the typed symbol table the kernels call.
 *
 * @example
 * ```ts
 * import { locateDnnl, openDnnl } from "./library.ts";
 * const found = locateDnnl();
 * if (found.ok) console.log(openDnnl(found.path!).version);
 * ```
 * @module
 */
import { readEnv } from "../../util/env.ts";

/** The FFI signatures of the oneDNN 2.x functions this backend calls. */
export const DNNL_SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_strides: { parameters: ["buffer", "i32", "buffer", "i32", "buffer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: { parameters: ["buffer", "i32", "buffer", "i32", "i32"], result: "i32" },
  dnnl_memory_desc_equal: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_matmul_desc_init: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_pooling_v2_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_pooling_v2_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_binary_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_softmax_forward_desc_init: { parameters: ["buffer", "i32", "buffer", "i32"], result: "i32" },
  dnnl_eltwise_forward_desc_init: { parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"], result: "i32" },
  dnnl_eltwise_backward_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_eltwise: { parameters: ["pointer", "f32", "i32", "f32", "f32"], result: "i32" },
  dnnl_primitive_desc_create: { parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "buffer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened oneDNN library. */
export type DnnlLibrary = Deno.DynamicLibrary<typeof DNNL_SYMBOLS>;

/** Where oneDNN was found, or why it was not. */
export type DnnlLocation = { ok: boolean; path?: string; reason?: string };

/** The file names tried, newest first; an env var path wins over both. */
export const DNNL_FILE_NAMES = ["libdnnl.so.3", "libdnnl.so.2"] as const;

/** The env var naming an explicit libdnnl path. */
export const DNNL_PATH_ENV = "EBM_DNNL_PATH";

/** Reads `dnnl_version()`'s struct {int major, minor, patch; const char *hash; ...}. */
function readVersion(lib: Deno.DynamicLibrary<{ dnnl_version: { parameters: []; result: "pointer" } }>) {
  const ptr = lib.symbols.dnnl_version();
  if (ptr === null) return { major: 0, minor: 0, patch: 0 };
  const view = new Deno.UnsafePointerView(ptr);
  return { major: view.getInt32(0), minor: view.getInt32(4), patch: view.getInt32(8) };
}

/**
 * Makes idle OpenMP workers sleep instead of spinning, unless the user chose a policy. libgomp
 * reads OMP_WAIT_POLICY once, when it is loaded with libdnnl, so this runs before every dlopen.
 * On a machine shared with other jobs, spinning workers compete with the main thread for the
 * cores: measured here (2 cores, load ≈ 6), a 10-iteration n_f = 8 training run took 26.6 s with
 * `active`, ~21 s with the default, 11.7 s with `passive`.
 */
function preferPassiveOpenMpWait(): void {
  try {
    if (Deno.env.get("OMP_WAIT_POLICY") === undefined) Deno.env.set("OMP_WAIT_POLICY", "passive");
  } catch {
    // Without --allow-env the library default applies.
  }
}

/**
 * Opens `path` just far enough to read its version; returns why it is unusable, or the version.
 * Only the 2.x API (operation descriptors + `dnnl_primitive_desc_create`) is implemented.
 */
function probe(path: string): { ok: true; version: string } | { ok: false; reason: string } {
  let lib;
  preferPassiveOpenMpWait();
  try {
    lib = Deno.dlopen(path, { dnnl_version: { parameters: [], result: "pointer" } } as const);
  } catch (error) {
    return { ok: false, reason: `cannot open ${path}: ${(error as Error).message.split("\n")[0]}` };
  }
  try {
    const v = readVersion(lib);
    if (v.major !== 2) {
      return { ok: false, reason: `${path} is oneDNN ${v.major}.${v.minor}.${v.patch}; only the 2.x API is supported` };
    }
    return { ok: true, version: `${v.major}.${v.minor}.${v.patch}` };
  } finally {
    lib.close();
  }
}

/**
 * Finds a usable libdnnl: `EBM_DNNL_PATH` if set (and only it), else `libdnnl.so.3` then
 * `libdnnl.so.2` through the system loader path. Synchronous and cheap (one dlopen per candidate).
 */
export function locateDnnl(): DnnlLocation {
  const explicit = readEnv(DNNL_PATH_ENV);
  const candidates = explicit ? [explicit] : [...DNNL_FILE_NAMES];
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const result = probe(candidate);
    if (result.ok) return { ok: true, path: candidate };
    reasons.push(result.reason);
  }
  const where = explicit ? `${DNNL_PATH_ENV}=${explicit}` : DNNL_FILE_NAMES.join(" or ");
  return { ok: false, reason: `no usable oneDNN (${where}): ${reasons.join("; ")}` };
}

/** Opens the library at `path` with every symbol the kernels use. */
export function openDnnl(path: string): { lib: DnnlLibrary; version: string } {
  preferPassiveOpenMpWait();
  const lib = Deno.dlopen(path, DNNL_SYMBOLS);
  const v = readVersion(lib);
  return { lib, version: `${v.major}.${v.minor}.${v.patch}` };
}
