/*
 * Fused short-run Langevin chains of dense leaky-ReLU networks: the contract of
 * `EbmDenseLangevinChain` (lib/tensor/kernels/kernel_names.ts), compiled by lib/tensor/native/c_build.ts
 * (gcc, on first use, into a cache directory keyed by this file's hash and the compiler flags).
 *
 * The network: h_0 = x [n, d]; h_{l+1} = leaky(h_l · W_l + b_l, alpha) for l < layers − 1; the
 * energy f = h_{layers−1} · W_{layers−1} + b_{layers−1} (width 1, no activation). Weights are
 * [in, out] row-major, biases [out], packed one after another as w_0, b_0, w_1, b_1, ….
 *
 * Each step: energies f(x) and ∇x Σf by backpropagation (the leaky-ReLU derivative taken from the
 * layer's output: y > 0 ? 1 : alpha), then x ← (x − ∇f) + ε·z with z the step's noise, and the
 * per-image ‖∇f‖₂ (float32 squares summed in double, rounded, square-rooted).
 *
 * Chains are independent, so rows are split into blocks that run every step on their own (no
 * synchronisation between steps); blocks are shared by OpenMP threads. Every row's arithmetic is
 * the same whichever block or thread runs it, so results do not depend on the thread count.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 16
#define BLOCK_ROWS 32
#define CB 32 /* columns per register tile: two 16-float vectors */

typedef float v16 __attribute__((vector_size(64), aligned(4)));

/* Register tile of `R` rows × 32 columns of C = bias + A · B (A row stride k, B and C row stride m). */
#define TILE(R)                                                                                  \
  static inline void tile##R(int k, int m, const float *restrict A, const float *restrict B,     \
                             const float *restrict bias, float *restrict C) {                   \
    v16 lo[R], hi[R];                                                                           \
    v16 b0 = {0}, b1 = {0};                                                                     \
    if (bias) {                                                                                 \
      b0 = *(const v16 *)bias;                                                                  \
      b1 = *(const v16 *)(bias + 16);                                                           \
    }                                                                                           \
    for (int r = 0; r < R; r++) {                                                               \
      lo[r] = b0;                                                                               \
      hi[r] = b1;                                                                               \
    }                                                                                           \
    for (int p = 0; p < k; p++) {                                                               \
      const v16 x0 = *(const v16 *)(B + (size_t)p * m), x1 = *(const v16 *)(B + (size_t)p * m + 16); \
      for (int r = 0; r < R; r++) {                                                             \
        const float a = A[(size_t)r * k + p];                                                   \
        lo[r] += a * x0;                                                                        \
        hi[r] += a * x1;                                                                        \
      }                                                                                         \
    }                                                                                           \
    for (int r = 0; r < R; r++) {                                                               \
      *(v16 *)(C + (size_t)r * m) = lo[r];                                                      \
      *(v16 *)(C + (size_t)r * m + 16) = hi[r];                                                 \
    }                                                                                           \
  }
TILE(8)
TILE(1)

/* Σ a[p]·b[p] over p < k: 16 partial sums when k allows, then the scalar tail. */
static inline float dot(int k, const float *restrict a, const float *restrict b) {
  int p = 0;
  float s = 0.0f;
  if (k >= 16) {
    v16 acc = {0};
    for (; p + 16 <= k; p += 16) acc += *(const v16 *)(a + p) * *(const v16 *)(b + p);
    for (int i = 0; i < 16; i++) s += acc[i];
  }
  for (; p < k; p++) s += a[p] * b[p];
  return s;
}

/*
 * C[r, :] = (bias or 0) + A[r, :] · B for r < rows; A [rows, k], B [k, m], C [rows, m], all
 * dense; Bt is B transposed ([m, k]), used for the columns left over after the 32-wide tiles.
 */
static void gemm(int rows, int k, int m, const float *restrict A, const float *restrict B, const float *restrict Bt, const float *restrict bias, float *restrict C) {
  int j0 = 0;
  for (; j0 + CB <= m; j0 += CB) {
    const float *bj = bias ? bias + j0 : NULL;
    int r0 = 0;
    for (; r0 + 8 <= rows; r0 += 8) tile8(k, m, A + (size_t)r0 * k, B + j0, bj, C + (size_t)r0 * m + j0);
    for (; r0 < rows; r0++) tile1(k, m, A + (size_t)r0 * k, B + j0, bj, C + (size_t)r0 * m + j0);
  }
  for (int r = 0; r < rows && j0 < m; r++)
    for (int j = j0; j < m; j++) C[(size_t)r * m + j] = (bias ? bias[j] : 0.0f) + dot(k, A + (size_t)r * k, Bt + (size_t)j * k);
}

/* y ← leaky(y) in place, n values. */
static void leaky(size_t n, float *restrict y, float alpha) {
  for (size_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : y[i] * alpha;
}

/* dz ← dz · (y > 0 ? 1 : alpha) in place, n values. */
static void leaky_grad(size_t n, float *restrict dz, const float *restrict y, float alpha) {
  for (size_t i = 0; i < n; i++) dz[i] = y[i] > 0.0f ? dz[i] : alpha * dz[i];
}

typedef struct {
  int layers;
  const int32_t *widths; /* layers + 1 entries: d, hidden…, 1 */
  const float *w[MAX_LAYERS];
  const float *wt[MAX_LAYERS]; /* transposed weights [out, in] for the backward products */
  const float *b[MAX_LAYERS];
  float alpha;
} Net;

/* One block of rows through every step. */
static void run_block(const Net *net, int rows, int d, int steps, int n, float epsilon, const float *noise, float *x, float *energies, float *norms, float *scratch) {
  const int L = net->layers;
  float *h[MAX_LAYERS + 1]; /* h[0] is x; h[l] for 1 ≤ l < L the outputs of hidden layer l − 1; h[L] the energy */
  float *g[MAX_LAYERS + 1]; /* gradients with respect to h[l] */
  h[0] = x;
  float *p = scratch;
  for (int l = 1; l <= L; l++) {
    h[l] = p;
    p += (size_t)rows * net->widths[l];
  }
  for (int l = 0; l < L; l++) {
    g[l] = p;
    p += (size_t)rows * net->widths[l];
  }
  const int last = L - 1;
  const int wl = net->widths[last];
  const float eps = epsilon, alpha = net->alpha;
  for (int s = 0; s < steps; s++) {
    for (int l = 0; l < L; l++) {
      gemm(rows, net->widths[l], net->widths[l + 1], h[l], net->w[l], net->wt[l], net->b[l], h[l + 1]);
      if (l < last) leaky((size_t)rows * net->widths[l + 1], h[l + 1], alpha);
    }
    for (int r = 0; r < rows; r++) energies[(size_t)s * n + r] = h[L][r];
    /* d(Σf)/dh[last] = the last weight column for every row, times the slope of h[last]'s activation. */
    {
      const float *restrict y = h[last];
      const float *restrict w = net->w[last];
      float *restrict dz = g[last];
      for (int r = 0; r < rows; r++)
        for (int j = 0; j < wl; j++) {
          const size_t i = (size_t)r * wl + j;
          dz[i] = last == 0 || y[i] > 0.0f ? w[j] : alpha * w[j]; /* x itself has no activation */
        }
    }
    for (int l = last - 1; l >= 0; l--) {
      gemm(rows, net->widths[l + 1], net->widths[l], g[l + 1], net->wt[l], net->w[l], NULL, g[l]);
      if (l > 0) leaky_grad((size_t)rows * net->widths[l], g[l], h[l], alpha);
    }
    const float *restrict gx = g[0];
    const float *restrict z = noise + (size_t)s * n * d;
    for (int r = 0; r < rows; r++) {
      double squares = 0.0;
      for (int j = 0; j < d; j++) {
        const size_t i = (size_t)r * d + j;
        const float gi = gx[i];
        const float moved = x[i] - gi;
        const float kick = z[i] * eps;
        x[i] = moved + kick;
        squares += (double)(float)(gi * gi);
      }
      norms[(size_t)s * n + r] = (float)sqrt((double)(float)squares);
    }
  }
}

/*
 * Runs `steps` Langevin steps of `n` chains in place on x [n, d]. `widths` has layers + 1
 * entries (widths[0] = d, widths[layers] = 1); `params` packs w_l [widths[l], widths[l+1]] and
 * b_l [widths[l+1]] in order; `noise` is [steps, n, d]; `energies` and `norms` receive [steps, n]:
 * f at each step's starting state and ‖∇f‖₂ there. Returns 0, or a negative code for bad sizes
 * (−1) or failed allocation (−2).
 */
int ebm_dense_langevin_chain(int32_t n, int32_t layers, const int32_t *widths, const float *params, float alpha, float epsilon, int32_t steps, const float *noise, float *x,
                             float *energies, float *norms, int32_t threads) {
  if (n < 0 || layers < 1 || layers > MAX_LAYERS || steps < 0 || widths[layers] != 1) return -1;
  for (int l = 0; l <= layers; l++)
    if (widths[l] < 1) return -1;
  const int d = widths[0];
  Net net = {.layers = layers, .widths = widths, .alpha = alpha};
  size_t transposed = 0;
  const float *q = params;
  for (int l = 0; l < layers; l++) {
    net.w[l] = q;
    q += (size_t)widths[l] * widths[l + 1];
    net.b[l] = q;
    q += widths[l + 1];
    transposed += (size_t)widths[l] * widths[l + 1];
  }
  float *wt = malloc(transposed * sizeof(float) + 64);
  if (!wt) return -2;
  {
    float *t = wt;
    for (int l = 0; l < layers; l++) {
      const int in = widths[l], out = widths[l + 1];
      for (int i = 0; i < in; i++)
        for (int o = 0; o < out; o++) t[(size_t)o * in + i] = net.w[l][(size_t)i * out + o];
      net.wt[l] = t;
      t += (size_t)in * out;
    }
  }
  size_t per_row = 0;
  for (int l = 1; l <= layers; l++) per_row += widths[l];
  for (int l = 0; l < layers; l++) per_row += widths[l];
  const int blocks = (n + BLOCK_ROWS - 1) / BLOCK_ROWS;
  int failed = 0;
#pragma omp parallel for schedule(static) num_threads(threads > 1 && blocks > 1 ? threads : 1) reduction(| : failed)
  for (int blk = 0; blk < blocks; blk++) {
    const int r0 = blk * BLOCK_ROWS;
    const int rows = n - r0 < BLOCK_ROWS ? n - r0 : BLOCK_ROWS;
    float *scratch = malloc(per_row * BLOCK_ROWS * sizeof(float));
    if (!scratch) {
      failed = 1;
      continue;
    }
    run_block(&net, rows, d, steps, n, epsilon, noise + (size_t)r0 * d, x + (size_t)r0 * d, energies + r0, norms + r0, scratch);
    free(scratch);
  }
  free(wt);
  return failed ? -2 : 0;
}

/*
 * The weight gradient of the maximum-likelihood loss, `EbmDenseMlGrads`: loss = Σ_r c_r·f(x_r)
 * over the positive rows (c_r = coef_pos) then the negative rows (c_r = coef_neg); `grads`
 * receives ∂loss/∂w_l and ∂loss/∂b_l packed like `params`, `energies` f of every row (positive
 * rows first). Sums over rows run in row order (bias sums in double), so results are
 * deterministic. Returns 0, −1 for
 * bad sizes, −2 when out of memory.
 */
int ebm_dense_ml_grads(int32_t n_pos, int32_t n_neg, int32_t layers, const int32_t *widths, const float *params, float alpha, float coef_pos, float coef_neg, const float *pos,
                       const float *neg, float *grads, float *energies) {
  if (n_pos < 0 || n_neg < 0 || layers < 1 || layers > MAX_LAYERS || widths[layers] != 1) return -1;
  for (int l = 0; l <= layers; l++)
    if (widths[l] < 1) return -1;
  const int n = n_pos + n_neg, d = widths[0], last = layers - 1;
  const float *w[MAX_LAYERS], *b[MAX_LAYERS];
  float *gw[MAX_LAYERS], *gb[MAX_LAYERS];
  size_t count = 0, per_row = 0, transposed = 0;
  for (int l = 0; l < layers; l++) {
    w[l] = params + count;
    gw[l] = grads + count;
    count += (size_t)widths[l] * widths[l + 1];
    b[l] = params + count;
    gb[l] = grads + count;
    count += widths[l + 1];
    transposed += (size_t)widths[l] * widths[l + 1];
  }
  for (int l = 0; l <= layers; l++) per_row += 2 * (size_t)widths[l];
  float *buffer = malloc(((size_t)n * per_row + transposed + 64) * sizeof(float));
  if (!buffer) return -2;
  float *h[MAX_LAYERS + 1], *dz[MAX_LAYERS + 1], *wt[MAX_LAYERS];
  float *p = buffer;
  for (int l = 0; l <= layers; l++) {
    h[l] = p;
    p += (size_t)n * widths[l];
    dz[l] = p;
    p += (size_t)n * widths[l];
  }
  for (int l = 0; l < layers; l++) {
    const int in = widths[l], out = widths[l + 1];
    wt[l] = p;
    for (int i = 0; i < in; i++)
      for (int o = 0; o < out; o++) p[(size_t)o * in + i] = w[l][(size_t)i * out + o];
    p += (size_t)in * out;
  }
  memcpy(h[0], pos, (size_t)n_pos * d * sizeof(float));
  memcpy(h[0] + (size_t)n_pos * d, neg, (size_t)n_neg * d * sizeof(float));
  for (int l = 0; l < layers; l++) {
    gemm(n, widths[l], widths[l + 1], h[l], w[l], wt[l], b[l], h[l + 1]);
    if (l < last) leaky((size_t)n * widths[l + 1], h[l + 1], alpha);
  }
  memcpy(energies, h[layers], (size_t)n * sizeof(float));
  /* ∂loss/∂f_r = c_r: the last layer's output gradient. */
  for (int r = 0; r < n; r++) dz[layers][r] = r < n_pos ? coef_pos : coef_neg;
  for (int l = last; l >= 0; l--) {
    const int in = widths[l], out = widths[l + 1];
    const float *restrict g = dz[l + 1];
    const float *restrict a = h[l];
    float *restrict gwl = gw[l];
    float *restrict gbl = gb[l];
    memset(gwl, 0, (size_t)in * out * sizeof(float));
    /* Bias sums in double: the last bias's gradient is exactly 0 when the batches are equal. */
    double *sums = calloc((size_t)out, sizeof(double));
    if (!sums) {
      free(buffer);
      return -2;
    }
    for (int r = 0; r < n; r++) {
      const float *restrict gr = g + (size_t)r * out;
      for (int o = 0; o < out; o++) sums[o] += gr[o];
      for (int i = 0; i < in; i++) {
        const float av = a[(size_t)r * in + i];
        float *restrict row = gwl + (size_t)i * out;
        for (int o = 0; o < out; o++) row[o] += av * gr[o];
      }
    }
    for (int o = 0; o < out; o++) gbl[o] = (float)sums[o];
    free(sums);
    if (l > 0) {
      /* Gradient with respect to h[l], then through h[l]'s leaky ReLU. */
      gemm(n, out, in, g, wt[l], w[l], NULL, dz[l]);
      leaky_grad((size_t)n * in, dz[l], h[l], alpha);
    }
  }
  free(buffer);
  return 0;
}
