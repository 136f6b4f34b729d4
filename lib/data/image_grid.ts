/**
 * Image grids exactly like the paper's `plot_ims`:
 * `torchvision.utils.save_image(clamp(x, -1, 1), path, normalize=True, nrow=int(n ** 0.5))`.
 * That is: clamp to [−1, 1]; min–max normalise over the whole batch (torchvision's
 * `normalize=True` without `value_range` uses the clamped batch's own min and max, floored at
 * 1e-5 apart); tile with `make_grid` (2 px padding of value 0 around and between tiles,
 * `nrow` tiles per row, rows = ⌈n / nrow⌉); one-channel images become RGB; byte = ⌊255·v + 0.5⌋.
 * A batch of one image is returned without padding (make_grid's special case).
 *
 * @example
 * ```ts
 * import { makeGrid, encodeGridPng } from "./image_grid.ts";
 * const images = new Float32Array(4 * 8 * 8 * 1).map(() => Math.random() * 2 - 1); // NHWC
 * const grid = makeGrid(images, { n: 4, height: 8, width: 8, channels: 1 });
 * const png = await encodeGridPng(grid); // 2×2 tiles, 22×22 RGB
 * ```
 * @module
 */
import { writeFileAtomic } from "../util/fs.ts";
import { encodePng } from "../util/png.ts";

/** Shape of an NHWC batch. */
export interface BatchShape {
  n: number;
  height: number;
  width: number;
  channels: number;
}

/** Options of {@link makeGrid}; defaults are the paper's. */
export interface GridOptions {
  /** Tiles per row; default ⌊√n⌋ (the paper's `int(x.shape[0] ** 0.5)`), at least 1. */
  nrow?: number;
  /** Pixels of padding around and between tiles; default 2. */
  padding?: number;
  /** Padding value in [0, 1] after normalisation; default 0 (black). */
  padValue?: number;
  /** Clamp range applied before normalising; default [−1, 1]. */
  clampRange?: [number, number];
}

/** An RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Tiles per row used by the paper for `n` images: ⌊√n⌋, at least 1. */
export function defaultNrow(n: number): number {
  return Math.max(1, Math.floor(Math.sqrt(n) + 1e-9));
}

function checkShape(images: Float32Array | Float64Array, shape: BatchShape): void {
  for (const key of ["n", "height", "width", "channels"] as const) {
    if (!Number.isInteger(shape[key]) || shape[key] < 1) throw new Error(`Cannot make an image grid: expected '${key}' to be a positive whole number, got ${shape[key]}`);
  }
  if (shape.channels !== 1 && shape.channels !== 3) throw new Error(`Cannot make an image grid: expected 1 or 3 channels, got ${shape.channels}`);
  const expected = shape.n * shape.height * shape.width * shape.channels;
  if (images.length !== expected) {
    throw new Error(`Cannot make an image grid: ${shape.n}×${shape.height}×${shape.width}×${shape.channels} needs ${expected} values, got ${images.length}`);
  }
}

/** Builds the grid image (see the module doc for the exact rule) from an NHWC batch. */
export function makeGrid(images: Float32Array | Float64Array, shape: BatchShape, options: GridOptions = {}): RgbImage {
  checkShape(images, shape);
  const [lo, hi] = options.clampRange ?? [-1, 1];
  const padding = options.padding ?? 2;
  const padValue = options.padValue ?? 0;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    if (Number.isNaN(v)) throw new Error(`Cannot make an image grid: value ${i} is NaN`);
    const c = v < lo ? lo : v > hi ? hi : v;
    if (c < min) min = c;
    if (c > max) max = c;
  }
  const scale = 1 / Math.max(max - min, 1e-5);
  const toByte = (v: number) => {
    const clamped = v < lo ? lo : v > hi ? hi : v;
    const normalised = (clamped - min) * scale;
    return Math.min(255, Math.max(0, Math.floor(normalised * 255 + 0.5)));
  };
  const { n, height: h, width: w, channels } = shape;
  if (n === 1) return tile(images, shape, toByte);
  const nrow = options.nrow ?? defaultNrow(n);
  const xmaps = Math.min(nrow, n);
  const ymaps = Math.ceil(n / xmaps);
  const gridW = (w + padding) * xmaps + padding;
  const gridH = (h + padding) * ymaps + padding;
  const data = new Uint8Array(gridW * gridH * 3).fill(Math.min(255, Math.max(0, Math.floor(padValue * 255 + 0.5))));
  for (let k = 0; k < n; k++) {
    const x0 = (k % xmaps) * (w + padding) + padding;
    const y0 = Math.floor(k / xmaps) * (h + padding) + padding;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((k * h + y) * w + x) * channels;
        const dst = ((y0 + y) * gridW + x0 + x) * 3;
        for (let c = 0; c < 3; c++) data[dst + c] = toByte(images[src + (channels === 1 ? 0 : c)]);
      }
    }
  }
  return { width: gridW, height: gridH, data };
}

function tile(images: Float32Array | Float64Array, shape: BatchShape, toByte: (v: number) => number): RgbImage {
  const data = new Uint8Array(shape.height * shape.width * 3);
  for (let p = 0; p < shape.height * shape.width; p++) {
    for (let c = 0; c < 3; c++) data[p * 3 + c] = toByte(images[p * shape.channels + (shape.channels === 1 ? 0 : c)]);
  }
  return { width: shape.width, height: shape.height, data };
}

/**
 * The image enlarged `factor` times by pixel replication (nearest neighbour), so 28–32 px
 * samples stay sharp when viewed; factor 1 returns the image itself.
 *
 * @example
 * ```ts ignore
 * const big = upscaleNearest(makeGrid(batch, shape), 3);
 * ```
 */
export function upscaleNearest(image: RgbImage, factor: number): RgbImage {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`Cannot enlarge an image grid: expected a positive whole factor, got ${factor}`);
  if (factor === 1) return image;
  const width = image.width * factor, height = image.height * factor;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const src = Math.floor(y / factor) * image.width;
    for (let x = 0; x < width; x++) {
      const from = (src + Math.floor(x / factor)) * 3, to = (y * width + x) * 3;
      data[to] = image.data[from];
      data[to + 1] = image.data[from + 1];
      data[to + 2] = image.data[from + 2];
    }
  }
  return { width, height, data };
}

/** PNG bytes of an RGB image (`lib/util/png.ts`: no plotting code, so training can write grids). */
export function encodeGridPng(image: RgbImage): Promise<Uint8Array> {
  return Promise.resolve(encodePng(image.width, image.height, image.data));
}

/** Makes the grid of an NHWC batch and writes it as a PNG atomically. */
export async function writeGridPng(path: string, images: Float32Array | Float64Array, shape: BatchShape, options: GridOptions = {}): Promise<RgbImage> {
  const grid = makeGrid(images, shape, options);
  await writeFileAtomic(path, await encodeGridPng(grid));
  return grid;
}
