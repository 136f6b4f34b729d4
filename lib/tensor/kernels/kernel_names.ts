/**
 * Names and contracts of the project's own tfjs kernels, shared by the ops that call them
 * (`lib/nets/fused_layer.ts`, `lib/ebm/langevin_update.ts`), their composed reference versions
 * (`composed_kernels.ts`), the native backend's oneDNN versions and the wasm backend's own
 * versions. Dependency-free, below both the backends and the nets, so every layer can import it.
 *
 * @example
 * ```ts ignore
 * tf.engine().runKernel(CONV_BIAS_LEAKY_RELU, { x, filter, bias }, { strides: 2, pad: "valid", alpha: 0.05 });
 * ```
 * @module
 */

/**
 * `y = leakyRelu(conv2d(x, filter) + bias, alpha)`, NHWC only, dilation 1.
 * - inputs: `x` [N, H, W, Ci] float32, `filter` [kh, kw, Ci, Co] (HWIO), `bias` [Co]
 * - attrs: `strides` (number | [sh, sw]), `pad` ("valid" | "same" | number | explicit
 *   [[0, 0], [t, b], [l, r], [0, 0]]), `alpha` (the negative slope, ≥ 0)
 * - output: `y` [N, OH, OW, Co], tfjs's conv2d output shape for those strides/padding.
 * Its gradient (registered in `fused_layer.ts`) saves x, filter and the output y.
 */
export const CONV_BIAS_LEAKY_RELU = "EbmConv2DBiasLeakyRelu";

/**
 * `y = leakyRelu(x·weight + bias, alpha)`, a dense layer.
 * - inputs: `x` [N, in] float32, `weight` [in, out], `bias` [out]
 * - attrs: `alpha` (the negative slope, ≥ 0)
 * - output: `y` [N, out].
 * Its gradient (registered in `fused_dense.ts`) saves x, weight and the output y.
 */
export const DENSE_BIAS_LEAKY_RELU = "EbmDenseBiasLeakyRelu";

/**
 * The leaky-ReLU backward pass from the layer's output: `dx = y > 0 ? dy : alpha·dy` (y = ±0
 * gives alpha·dy). Where y is NaN, dx is unspecified: dy on oneDNN (`relu_use_dst_for_bwd`),
 * NaN where it is composed as `dy · step(y, alpha)`; a NaN output has already made the energy
 * NaN, so nothing downstream depends on it.
 * - inputs: `dy`, `y` (same shape, float32); attrs: `alpha` (≥ 0)
 * - output: `dx`, same shape as dy.
 * With alpha ≥ 0, `y > 0` exactly when the pre-activation is > 0, so this equals
 * `dy · step(preactivation, alpha)`.
 */
export const LEAKY_RELU_GRAD_FROM_OUTPUT = "EbmLeakyReluGradFromOutput";

/**
 * One training-Langevin update and its diagnostics: `next = (x − grad) + ε·noise` (each operation
 * rounded to float32 in that order, as `add(sub(x, grad), mul(noise, ε))`), plus
 * `stats = [mean(energy), mean over images of ‖grad_i‖₂]` computed as tfjs's `mean` and
 * `sqrt(sum(square(grad), per image))` on the same backend would.
 * - inputs: `x`, `grad`, `noise` (one shape [N, …], float32), `energy` [N] float32
 * - attrs: `epsilon` (finite number)
 * - outputs: `[next, stats]`, next with x's shape, stats [2].
 */
export const LANGEVIN_UPDATE = "EbmLangevinUpdate";

/**
 * ∂L/∂x of a stride-1 thin convolution (see {@link isThinFilter}). Inputs `dy` [n, oh, ow, cout]
 * and `filter` [kh, kw, cin, cout] (HWIO); attrs `inputShape` [n, h, w, cin] and `pad`
 * {top, left} (the forward convolution's zero padding; bottom/right follow from the shapes).
 * Registered on wasm only; `conv2d_grads.ts` calls it where the backend has it.
 */
export const THIN_INPUT_GRAD = "EbmThinInputGrad";

/** Largest input-channel count of a thin filter (the wasm kernels unroll ci into registers). */
export const THIN_MAX_CIN = 4;
/** Largest output-channel count of a thin filter (multiples of 4; 32 channels per register block). */
export const THIN_MAX_COUT = 128;

/**
 * True when a stride-1 layer with this filter runs on the thin kernels (cin ≤ 4, cout a
 * multiple of 4 up to 128).
 *
 * @example
 * ```ts
 * isThinFilter([3, 3, 3, 32]); // true
 * ```
 */
export function isThinFilter(filterShape: readonly number[]): boolean {
  const [, , cin, cout] = filterShape;
  return filterShape.length === 4 && cin >= 1 && cin <= THIN_MAX_CIN && cout >= 4 && cout <= THIN_MAX_COUT && cout % 4 === 0;
}

/**
 * A whole short-run training-Langevin chain of a dense leaky-ReLU network, as one kernel: `steps`
 * applications of {@link LANGEVIN_UPDATE} with `grad = ∇x Σ f(x)`, where
 * `f(x) = h_{k−1}·w_{k−1} + b_{k−1}`, `h_0 = x`, `h_{l+1} = leakyRelu(h_l·w_l + b_l, alpha)`
 * (ToyNet is the paper's case: widths 2 → 32 → 64 → 64 → 64 → 1). Its reference composition is
 * the per-step sampler (`shortRunLangevin`'s loop of energyAndGrad + LANGEVIN_UPDATE on the same
 * weights and noise); a kernel matches it within 1e-5 relative per step (matrix products may sum
 * in another order) and must not depend on its thread count.
 * - inputs: `x` [N, D] float32 (the start), `noise` [steps, N, D] float32 (step s uses noise[s]),
 *   `w0`, `b0`, …, `w{k−1}`, `b{k−1}`: weights [in, out] and biases [out], widths chaining from D
 *   to 1
 * - attrs: `epsilon` (finite), `alpha` (the negative slope, ≥ 0), `layers` (k ≥ 1), `steps` (≥ 0)
 * - outputs: `[next, stats]`: next [N, D] (the state after the last step), stats [steps, 2]: per
 *   step, the mean energy at the state the step started from and the mean per-image ‖∇f‖₂ there
 *   (as LANGEVIN_UPDATE's stats).
 */
export const DENSE_LANGEVIN_CHAIN = "EbmDenseLangevinChain";

/**
 * The weight gradient of the maximum-likelihood loss of a dense leaky-ReLU network (the net of
 * {@link DENSE_LANGEVIN_CHAIN}): `loss = (mean f(pos) − mean f(neg)) · scale` and its gradient
 * with respect to every weight and bias. Its reference composition is tfjs's
 * `variableGrads` of that loss over the same layers; a kernel matches it within 1e-5 relative to
 * the larger of each gradient's and its positive term's largest entry (sums over rows may run in
 * another order, and the loss and gradients are differences of two batch terms).
 * - inputs: `pos` [P, D], `neg` [M, D] float32 (P, M ≥ 1), `w0`, `b0`, …, `w{k−1}`, `b{k−1}` as
 *   in {@link DENSE_LANGEVIN_CHAIN}
 * - attrs: `scale` (finite), `alpha` (≥ 0), `layers` (k ≥ 1)
 * - outputs: `[loss, gw0, gb0, …, gw{k−1}, gb{k−1}]`: loss [] (computed as tfjs's mean, sub and
 *   mul would), each gradient with its parameter's shape.
 */
export const DENSE_ML_GRADS = "EbmDenseMlGrads";

/**
 * One Adam update of one parameter (PyTorch's `torch.optim.Adam`, no weight decay, no amsgrad),
 * every operation rounded to float32 as the composed tfjs ops round it:
 * `m' = m·β1 + g·(1 − β1)`, `v' = v·β2 + g²·(1 − β2)`,
 * `w' = w − (m' / (√v' / √(1 − β2^t) + eps)) · (lr / (1 − β1^t))`.
 * - inputs: `w`, `g`, `m`, `v` (one shape, float32)
 * - attrs: `lr`, `beta1`, `beta2`, `eps` (finite numbers), `step` (t ≥ 1)
 * - outputs: `[w', m', v']`, each of w's shape.
 */
export const ADAM_UPDATE = "EbmAdamUpdate";

/**
 * Thrown by a backend's kernel that cannot run on this machine at all (e.g. the project's C code
 * could not be built: no compiler). Callers that have the kernel's reference composition may
 * fall back to it; the message says what is missing and how to install it.
 *
 * @example
 * ```ts
 * throw new KernelUnavailableError("EbmDenseLangevinChain", "the C compiler 'gcc' was not found (apt-get install gcc)");
 * ```
 */
export class KernelUnavailableError extends Error {
  constructor(readonly kernel: string, readonly reason: string) {
    super(`Cannot run ${kernel}: ${reason}`);
    this.name = "KernelUnavailableError";
  }
}
