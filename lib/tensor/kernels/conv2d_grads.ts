/**
 * Convolution gradients expressed through forward convolutions, which every backend runs fast
 * (XNNPACK on wasm), instead of the slow scalar gradient loops (or, on wasm, no filter-gradient
 * kernel at all). NHWC input, HWIO filter, any stride / kernel size / explicit padding, no dilation.
 *
 * - Filter gradient: a stride-1 convolution of the batch↔channel-transposed input with the output
 *   gradient used as a filter dilated by the stride; for 1×1 filters and thin first layers, one
 *   matMul of the transposed patch matrix with the flattened output gradient.
 * - Input gradient: for each of the stride² output phases, a stride-1 convolution of the output
 *   gradient with the phase's taps of the flipped, transposed filter (built on the host once per
 *   filter tensor and cached); phases are interleaved by stack + reshape (much faster on wasm
 *   than depthToSpace; stride 2 in one pass over the four phases, through `stack_pair.ts`).
 *
 * @example
 * ```ts ignore
 * const dw = conv2dFilterGrad(x, dy, [4, 4, 3, 8], { strides: [2, 2], pad: { top: 1, left: 1 } });
 * const dx = conv2dInputGrad(dy, w, x.shape, { strides: [2, 2], pad: { top: 1, left: 1 } });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { interleavePhases2x2, stackPair } from "./stack_pair.ts";
import { isThinFilter, THIN_INPUT_GRAD } from "./kernel_names.ts";

/** Stride and the top/left zero padding of the forward convolution (bottom/right follow from shapes). */
export interface ConvGeometry {
  strides: [number, number];
  pad: { top: number; left: number };
}

/**
 * Zero-pads (positive amounts) or crops (negative amounts) rows and columns of an NHWC tensor.
 *
 * @example
 * ```ts ignore
 * const y = padOrCrop4d(x, 1, -1, 0, 2); // one zero row on top, drop the last row, two zero columns right
 * ```
 */
export function padOrCrop4d(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  let out = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t0 = Math.max(0, -top), l0 = Math.max(0, -left);
    const hh = h - t0 - Math.max(0, -bottom), ww = w - l0 - Math.max(0, -right);
    if (hh <= 0 || ww <= 0) return tf.zeros([n, Math.max(0, h + top + bottom), Math.max(0, w + left + right), c]);
    out = tf.slice(out, [0, t0, l0, 0], [n, hh, ww, c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  return out;
}

/**
 * ∂L/∂filter of `conv2d(x, filter)` given ∂L/∂y, returned in HWIO `filterShape`.
 *
 * @example
 * ```ts ignore
 * const dw = conv2dFilterGrad(x, dy, [3, 3, 3, 32], { strides: [1, 1], pad: { top: 1, left: 1 } });
 * ```
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  geom: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = filterShape;
    const [sh, sw] = geom.strides;
    const [, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    // Rows of the padded input the forward conv touched: [0, (oh-1)·sh + kh).
    const bottom = (oh - 1) * sh + kh - h - geom.pad.top;
    const right = (ow - 1) * sw + kw - w - geom.pad.left;
    // Measured on wasm: for 1×1 filters and thin first layers (kh·kw·cin ≤ 64) one matMul of
    // the transposed patch matrix beats the dilated conv 2–4×; otherwise the conv wins.
    if (sh === 1 && sw === 1 && isThinFilter(filterShape) && x.dtype === "float32" && tf.getKernel(THIN_FILTER_GRAD, tf.getBackend()) !== undefined) {
      // Thin layers read x unpadded (no padded copy).
      return tf.engine().runKernel(THIN_FILTER_GRAD, { x, dy }, { filterShape, pad: geom.pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
    if (sh === 1 && sw === 1 && (kh * kw * cin <= 64 || (kh === 1 && kw === 1))) {
      return filterGradByMatMul(padOrCrop4d(x, geom.pad.top, bottom, geom.pad.left, right), dy, filterShape);
    }
    const xt = paddedSwapBatchAndChannels(x, geom.pad.top, bottom, geom.pad.left, right); // [cin, H', W', n]
    const [n] = dy.shape;
    const dyf = tf.reshape(swapLeadingAxes(tf.reshape(dy, [n, oh * ow, cout])), [oh, ow, n, cout]) as tf.Tensor4D;
    const out = tf.conv2d(xt, dyf, 1, "valid", "NHWC", [sh, sw]); // [cin, kh, kw, cout]
    if (out.shape[0] !== cin || out.shape[1] !== kh || out.shape[2] !== kw || out.shape[3] !== cout) {
      throw new Error(`conv2dFilterGrad: expected [${[cin, kh, kw, cout]}] before transposing, got [${out.shape}]`);
    }
    return tf.reshape(swapLeadingAxes(tf.reshape(out, [cin, kh * kw, cout])), [kh, kw, cin, cout]) as tf.Tensor4D;
  });
}

/**
 * Kernel name: the stride-1 filter gradient of a thin layer in one pass over the pixels.
 * Inputs `x` [n, h, w, cin] and `dy` [n, oh, ow, cout]; attrs `filterShape` [kh, kw, cin, cout]
 * and optional `pad` {top, left} (default 0): the forward convolution's zero padding, applied
 * implicitly — allowed only for thin filters (cin ≤ 4); otherwise x comes already padded to
 * [n, oh+kh−1, ow+kw−1, cin]. Output ∂L/∂filter in HWIO. Registered where a backend has it
 * (wasm: `lib/tensor/wasm/thin_conv_module.ts` for cin ≤ 4, else `simd_kernels.ts`; cout a
 * multiple of 4).
 */
export const THIN_FILTER_GRAD = "EbmThinFilterGrad";

/**
 * Kernel name: `transpose(x, [3, 1, 2, 0])` of a float32 NHWC tensor whose batch and channel
 * counts are multiples of 4 (input `x`), after zero padding by the optional attr `pad`
 * {top, bottom, left, right} (non-negative). Registered where a backend has it (wasm: SIMD 4×4
 * blocks, about 10× faster than tfjs-wasm's generic transpose for this permutation).
 */
export const SWAP_BATCH_CHANNELS = "EbmSwapBatchChannels";

/**
 * Kernel name: `transpose(x, [1, 0, 2, …])` of a float32 tensor (input `x`, no attrs): the two
 * leading axes swapped, the rest moved as contiguous rows. Registered where a backend has it
 * (wasm: one `memory.copy` per row).
 */
export const SWAP_LEADING_AXES = "EbmSwapLeadingAxes";

function swapLeadingAxes(x: tf.Tensor): tf.Tensor {
  if (tf.getKernel(SWAP_LEADING_AXES, tf.getBackend()) !== undefined && x.dtype === "float32") {
    return tf.engine().runKernel(SWAP_LEADING_AXES, { x }) as tf.Tensor;
  }
  return tf.transpose(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]);
}

/** `transpose(padOrCrop4d(x, …), [3, 1, 2, 0])`, padding inside the swap kernel where one exists. */
function paddedSwapBatchAndChannels(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, , , c] = x.shape;
  if (tf.getKernel(SWAP_BATCH_CHANNELS, tf.getBackend()) !== undefined && n % 4 === 0 && c % 4 === 0 && x.dtype === "float32") {
    if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) {
      return tf.engine().runKernel(SWAP_BATCH_CHANNELS, { x }, { pad: { top, bottom, left, right } } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
    return tf.engine().runKernel(SWAP_BATCH_CHANNELS, { x: padOrCrop4d(x, top, bottom, left, right) }) as tf.Tensor4D;
  }
  return tf.transpose(padOrCrop4d(x, top, bottom, left, right), [3, 1, 2, 0]) as tf.Tensor4D;
}

/** Stride-1 filter gradient as [kh·kw·cin, M]·[M, cout] with M = n·oh·ow (xp already padded). */
function filterGradByMatMul(xp: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = filterShape;
  // The matMul packs its [M, cout] operand each call (M = 102,400 for a 32×32 batch of 100);
  // a direct pass over the pixels avoids that and the kh·kw patch slices.
  if (tf.getKernel(THIN_FILTER_GRAD, tf.getBackend()) !== undefined && cout % 4 === 0 && xp.dtype === "float32") {
    return tf.engine().runKernel(THIN_FILTER_GRAD, { x: xp, dy }, { filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const [n, oh, ow] = dy.shape;
  const m = n * oh * ow;
  const xt = tf.transpose(xp, [3, 0, 1, 2]); // [cin, n, H', W']
  const taps: tf.Tensor[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const tap = kh === 1 && kw === 1 ? xt : tf.slice(xt, [0, 0, a, b], [cin, n, oh, ow]);
      taps.push(tf.reshape(tap, [cin, m]));
    }
  }
  const patchesT = (taps.length === 1 ? taps[0] : tf.concat(taps, 0)) as tf.Tensor2D; // [(a, b, ci), M]
  return tf.reshape(tf.matMul(patchesT, tf.reshape(dy, [m, cout]) as tf.Tensor2D), filterShape) as tf.Tensor4D;
}

/** Taps of one output phase along one axis: filter offset r, count m, and the dy window offset q. */
function phaseTaps(phase: number, pad: number, stride: number, k: number): { r: number; m: number; q: number } {
  const r = (((phase + pad) % stride) + stride) % stride;
  const m = r < k ? Math.ceil((k - r) / stride) : 0;
  const q = (phase + pad - r) / stride;
  return { r, m, q };
}

/**
 * The stride² phase filters of an input gradient, [m_a, m_b, cout, cin] each (null when a phase
 * has no taps): tap (j, l) of phase (a, b) is w[r_a + s·(m_a−1−j), r_b + s·(m_b−1−l), ci, co],
 * i.e. the phase's taps flipped and transposed. Built in one pass over the host values.
 */
function phaseFilters(w: Float32Array, shape: number[], geom: ConvGeometry): (Float32Array | null)[] {
  const [kh, kw, cin, cout] = shape;
  const [sh, sw] = geom.strides;
  const out: (Float32Array | null)[] = [];
  for (let a = 0; a < sh; a++) {
    const ta = phaseTaps(a, geom.pad.top, sh, kh);
    for (let b = 0; b < sw; b++) {
      const tb = phaseTaps(b, geom.pad.left, sw, kw);
      if (ta.m === 0 || tb.m === 0) {
        out.push(null);
        continue;
      }
      const f = new Float32Array(ta.m * tb.m * cout * cin);
      for (let j = 0; j < ta.m; j++) {
        const y = ta.r + sh * (ta.m - 1 - j);
        for (let l = 0; l < tb.m; l++) {
          const x = tb.r + sw * (tb.m - 1 - l);
          const src = (y * kw + x) * cin * cout, dst = (j * tb.m + l) * cout * cin;
          for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) f[dst + co * cin + ci] = w[src + ci * cout + co];
        }
      }
      out.push(f);
    }
  }
  return out;
}

/**
 * Phase filters per filter tensor: network weights stay the same over many Langevin steps, and a
 * tfjs tensor's data never changes under the same dataId (a Variable's assign swaps the dataId).
 * Entries whose tensor was disposed or reassigned are freed on the next call, and the cache is
 * bounded, so the live tensor count stays constant once warm.
 */
const PHASE_CACHE_SIZE = 32;
type CacheEntry = { key: string; owner: WeakRef<tf.Tensor>; dataId: unknown; filters: (tf.Tensor4D | null)[] };
const phaseCache = new Map<unknown, CacheEntry>();

function drop(entry: CacheEntry): void {
  phaseCache.delete(entry.dataId);
  tf.dispose(entry.filters.filter((f): f is tf.Tensor4D => f !== null));
}

function cachedPhaseFilters(filter: tf.Tensor4D, geom: ConvGeometry): (tf.Tensor4D | null)[] {
  for (const entry of [...phaseCache.values()]) {
    const owner = entry.owner.deref();
    if (owner === undefined || owner.isDisposed || owner.dataId !== entry.dataId) drop(entry);
  }
  const key = `${filter.shape}|${geom.strides}|${geom.pad.top},${geom.pad.left}`;
  const hit = phaseCache.get(filter.dataId);
  if (hit && hit.key === key) {
    phaseCache.delete(filter.dataId);
    phaseCache.set(filter.dataId, hit);
    return hit.filters;
  }
  if (hit) drop(hit);
  const [kh, kw, cin, cout] = filter.shape;
  const [sh, sw] = geom.strides;
  const host = phaseFilters(filter.dataSync() as Float32Array, filter.shape, geom);
  const filters = host.map((f, i) => {
    if (f === null) return null;
    const ta = phaseTaps(Math.floor(i / sw), geom.pad.top, sh, kh), tb = phaseTaps(i % sw, geom.pad.left, sw, kw);
    return tf.keep(tf.tensor4d(f, [ta.m, tb.m, cout, cin]));
  });
  phaseCache.set(filter.dataId, { key, owner: new WeakRef(filter), dataId: filter.dataId, filters });
  while (phaseCache.size > PHASE_CACHE_SIZE) drop(phaseCache.values().next().value as CacheEntry);
  return filters;
}

/**
 * Frees every cached phase filter (tests use it to count tensors from a clean state).
 *
 * @example
 * ```ts ignore
 * clearConvGradCache(); const before = tf.memory().numTensors;
 * ```
 */
export function clearConvGradCache(): void {
  for (const entry of [...phaseCache.values()]) drop(entry);
}

/** Stacks phase outputs on a new axis; pairs (stride 2) go through the backend's fast interleave. */
function stackPhases(phases: tf.Tensor4D[], axis: number): tf.Tensor {
  return phases.length === 2 ? stackPair(phases[0], phases[1], axis) : tf.stack(phases, axis);
}

/** Stride-1 'valid' conv of `x` after zero-padding (positive) or cropping (negative) its borders. */
function paddedConv(x: tf.Tensor4D, f: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) {
    // XNNPACK pads internally: no padded copy of x.
    return tf.conv2d(x, f, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]);
  }
  return tf.conv2d(padOrCrop4d(x, top, bottom, left, right), f, 1, "valid");
}

/**
 * ∂L/∂x of `conv2d(x, filter)` given ∂L/∂y; `inputShape` is x's NHWC shape.
 *
 * @example
 * ```ts ignore
 * const dx = conv2dInputGrad(dy, w, [100, 32, 32, 3], { strides: [1, 1], pad: { top: 1, left: 1 } });
 * ```
 */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  geom: ConvGeometry,
): tf.Tensor4D {
  const [sh0, sw0] = geom.strides;
  // Thin stride-1 layers (VanillaNet's first: 32 → 3 channels): a direct SIMD pass where the
  // backend has one, about 2× XNNPACK's speed on a 3-channel output.
  if (sh0 === 1 && sw0 === 1 && isThinFilter(filter.shape) && dy.dtype === "float32" && tf.getKernel(THIN_INPUT_GRAD, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(THIN_INPUT_GRAD, { dy, filter }, { inputShape, pad: geom.pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const filters = cachedPhaseFilters(filter, geom);
  return tf.tidy(() => {
    const [n, h, w, cin] = inputShape;
    const [kh, kw] = filter.shape;
    const [sh, sw] = geom.strides;
    const [, oh, ow] = dy.shape;
    const u = Math.ceil(h / sh), v = Math.ceil(w / sw);
    const phaseOutputs: tf.Tensor4D[] = [];
    for (let a = 0; a < sh; a++) {
      const ta = phaseTaps(a, geom.pad.top, sh, kh);
      for (let b = 0; b < sw; b++) {
        const tb = phaseTaps(b, geom.pad.left, sw, kw);
        const f = filters[a * sw + b];
        if (f === null) {
          phaseOutputs.push(tf.zeros([n, u, v, cin]));
          continue;
        }
        // Phase output row t reads dy rows t + q − (m−1) … t + q.
        const top = ta.m - 1 - ta.q, left = tb.m - 1 - tb.q;
        const bottom = u - 1 + ta.q - (oh - 1), right = v - 1 + tb.q - (ow - 1);
        phaseOutputs.push(paddedConv(dy, f, top, bottom, left, right));
      }
    }
    let dx: tf.Tensor4D;
    if (sh === 2 && sw === 2) {
      const [p00, p01, p10, p11] = phaseOutputs;
      dx = interleavePhases2x2(p00, p01, p10, p11);
    } else {
      const rows: tf.Tensor4D[] = [];
      for (let a = 0; a < sh; a++) {
        const cols = phaseOutputs.slice(a * sw, (a + 1) * sw);
        rows.push(sw === 1 ? cols[0] : tf.reshape(stackPhases(cols, 3), [n, u, v * sw, cin]) as tf.Tensor4D);
      }
      dx = sh === 1 ? rows[0] : tf.reshape(stackPhases(rows, 2), [n, u * sh, v * sw, cin]) as tf.Tensor4D;
    }
    if (dx.shape[1] !== h || dx.shape[2] !== w) dx = tf.slice(dx, [0, 0, 0, 0], [n, h, w, cin]);
    return dx;
  });
}
