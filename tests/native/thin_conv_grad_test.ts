/**
 * The thin-layer input gradient on the project's C code (`Conv2DBackpropInput` for stride-1
 * NHWC convolutions with ≤ 4 input channels) matches the cpu backend within 1e-5 on VanillaNet's
 * first layers and on odd shapes (output channels with and without a 16-wide remainder, rows
 * narrower than the 4-pixel blocks, even kernels with asymmetric "same" padding, valid
 * padding), and the C kernel is what computed them.
 */
import { assert, assertClose, assertEquals } from "../assert.ts";
import { ensureNative, runOnBoth } from "./parity.ts";
import { thinInputGradCalls } from "../../lib/tensor/native/kernels/thin_conv.ts";

await ensureNative();

const CASES: { name: string; x: number[]; filter: number[]; pad: "same" | "valid" | number; dy: number[] }[] = [
  { name: "VanillaNet n_c 1 first layer 3x3 p1, 1→16", x: [4, 32, 32, 1], filter: [3, 3, 1, 16], pad: 1, dy: [4, 32, 32, 16] },
  { name: "VanillaNet n_c 3 first layer 3x3 p1, 3→32", x: [3, 32, 32, 3], filter: [3, 3, 3, 32], pad: 1, dy: [3, 32, 32, 32] },
  { name: "odd 5x5 same, 2→20 (16 + 4 channels)", x: [2, 9, 11, 2], filter: [5, 5, 2, 20], pad: "same", dy: [2, 9, 11, 20] },
  { name: "odd 4x4 same (asymmetric), 4→3 (remainder only)", x: [2, 7, 6, 4], filter: [4, 4, 4, 3], pad: "same", dy: [2, 7, 6, 3] },
  { name: "odd 3x3 valid, 1→48, row of 3 pixels", x: [3, 5, 5, 1], filter: [3, 3, 1, 48], pad: "valid", dy: [3, 3, 3, 48] },
  { name: "odd 1x1, 2→32 (ToyNet-like)", x: [5, 1, 1, 2], filter: [1, 1, 2, 32], pad: 0, dy: [5, 1, 1, 32] },
  { name: "odd 3x3 pad 2 (wider than same), 1→17", x: [1, 6, 13, 1], filter: [3, 3, 1, 17], pad: 2, dy: [1, 8, 15, 17] },
];

CASES.forEach((c, i) => {
  Deno.test(`thin Conv2DBackpropInput on the C kernel matches cpu: ${c.name}`, () => {
    const before = thinInputGradCalls();
    const attrs = { strides: 1, pad: c.pad, dataFormat: "NHWC", dilations: 1, inputShape: c.x };
    const { native, cpu, fallbacks } = runOnBoth("Conv2DBackpropInput", { dy: c.dy, filter: c.filter }, attrs, 900 + i);
    assertClose(native, cpu, 1e-5, c.name);
    assertEquals(fallbacks, 0, "no cpu fallback");
    assert(thinInputGradCalls() === before + 1, "the C kernel did not compute this case");
  });
});
