/*
 * The input gradient of a thin stride-1 convolution (few input channels: VanillaNet's first
 * layer, whose ∇x every Langevin step needs), NHWC activations and HWIO filters, compiled by
 * lib/tensor/native/c_build.ts. oneDNN's backward-data primitive runs this shape (1 input
 * channel) at a small fraction of its forward speed; here each input pixel gathers its taps with
 * the output channels in vector registers:
 *
 *   dx[n, y, x, c] = Σ_{ky, kx, o} dy[n, y + padT − ky, x + padL − kx, o] · w[ky, kx, c, o]
 *
 * over the taps that land inside dy. Images are independent (OpenMP over images when threads
 * > 1), and each value's sum runs in the same order whatever the thread count.
 */
#include <stdint.h>
#include <string.h>

#define MAX_CIN 4

typedef float v16 __attribute__((vector_size(64), aligned(4)));

#define PX 4 /* neighbouring pixels of one row computed together (independent accumulator chains) */

typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));

/* The 16 lanes' sum as a tree of halves (a fixed order). */
static inline float hsum(v16 v) {
  const v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const v4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  return (b[0] + b[2]) + (b[1] + b[3]);
}

/*
 * dx for pixels x0 … x0 + count − 1 of row y (count ≤ PX); `interior` means every tap of every one
 * of them lands inside dy's columns, so only rows need checking. CIN is a constant at each call.
 */
static inline __attribute__((always_inline)) void pixels(const int CIN, int count, int interior, int y, int x0, int cout, int vec, int kh, int kw, int pad_top, int pad_left, int oh,
                                                         int ow, const float *restrict dyi, const float *restrict filter, float *restrict dxi) {
  v16 acc[PX][MAX_CIN];
  float tail[PX][MAX_CIN];
  for (int p = 0; p < PX; p++)
    for (int c = 0; c < CIN; c++) {
      acc[p][c] = (v16){0};
      tail[p][c] = 0.0f;
    }
  for (int ky = 0; ky < kh; ky++) {
    const int oy = y + pad_top - ky;
    if (oy < 0 || oy >= oh) continue;
    const float *restrict row = dyi + (size_t)oy * ow * cout;
    for (int kx = 0; kx < kw; kx++) {
      const float *restrict f = filter + ((size_t)ky * kw + kx) * CIN * cout;
      if (interior && count == PX) {
        const float *restrict g = row + (size_t)(x0 + pad_left - kx) * cout;
        for (int o = 0; o < vec; o += 16)
          for (int c = 0; c < CIN; c++) {
            const v16 fv = *(const v16 *)(f + (size_t)c * cout + o);
            for (int p = 0; p < PX; p++) acc[p][c] += *(const v16 *)(g + (size_t)p * cout + o) * fv;
          }
        for (int o = vec; o < cout; o++)
          for (int c = 0; c < CIN; c++)
            for (int p = 0; p < PX; p++) tail[p][c] += g[(size_t)p * cout + o] * f[(size_t)c * cout + o];
      } else {
        for (int p = 0; p < count; p++) {
          const int ox = x0 + p + pad_left - kx;
          if (ox < 0 || ox >= ow) continue;
          const float *restrict g = row + (size_t)ox * cout;
          for (int o = 0; o < vec; o += 16)
            for (int c = 0; c < CIN; c++) acc[p][c] += *(const v16 *)(g + o) * *(const v16 *)(f + (size_t)c * cout + o);
          for (int o = vec; o < cout; o++)
            for (int c = 0; c < CIN; c++) tail[p][c] += g[o] * f[(size_t)c * cout + o];
        }
      }
    }
  }
  for (int p = 0; p < count; p++)
    for (int c = 0; c < CIN; c++) dxi[(size_t)(x0 + p) * CIN + c] = hsum(acc[p][c]) + tail[p][c];
}

static inline __attribute__((always_inline)) void image(const int CIN, int h, int w, int cout, int kh, int kw, int pad_top, int pad_left, int oh, int ow, const float *restrict dyi,
                                                        const float *restrict filter, float *restrict dxi) {
  const int vec = cout / 16 * 16;
  /* Columns whose taps all land inside dy: x + pad_left − (kw − 1) ≥ 0 and x + pad_left ≤ ow − 1. */
  const int lo = kw - 1 - pad_left > 0 ? kw - 1 - pad_left : 0;
  const int hi = ow - 1 - pad_left; /* last interior column */
  for (int y = 0; y < h; y++) {
    float *restrict out = dxi + (size_t)y * w * CIN;
    for (int x0 = 0; x0 < w; x0 += PX) {
      const int count = w - x0 < PX ? w - x0 : PX;
      const int interior = x0 >= lo && x0 + count - 1 <= hi;
      pixels(CIN, count, interior, y, x0, cout, vec, kh, kw, pad_top, pad_left, oh, ow, dyi, filter, out);
    }
  }
}

/* Returns 0, or −1 for sizes outside this kernel's range. */
int ebm_thin_conv_input_grad(int32_t n, int32_t h, int32_t w, int32_t cin, int32_t cout, int32_t kh, int32_t kw, int32_t pad_top, int32_t pad_left, int32_t oh, int32_t ow,
                             const float *dy, const float *filter, float *dx, int32_t threads) {
  if (n < 0 || h < 1 || w < 1 || cin < 1 || cin > MAX_CIN || cout < 1 || kh < 1 || kw < 1 || oh < 1 || ow < 1) return -1;
#pragma omp parallel for schedule(static) num_threads(threads > 1 && n > 1 ? threads : 1)
  for (int img = 0; img < n; img++) {
    const float *dyi = dy + (size_t)img * oh * ow * cout;
    float *dxi = dx + (size_t)img * h * w * cin;
    switch (cin) {
      case 1: image(1, h, w, cout, kh, kw, pad_top, pad_left, oh, ow, dyi, filter, dxi); break;
      case 2: image(2, h, w, cout, kh, kw, pad_top, pad_left, oh, ow, dyi, filter, dxi); break;
      case 3: image(3, h, w, cout, kh, kw, pad_top, pad_left, oh, ow, dyi, filter, dxi); break;
      default: image(4, h, w, cout, kh, kw, pad_top, pad_left, oh, ow, dyi, filter, dxi); break;
    }
  }
  return 0;
}
