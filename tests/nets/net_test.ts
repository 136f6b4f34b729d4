/** Network construction: PyTorch key names/shapes, default init bounds, layout round trips, errors. */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createNet } from "../../lib/nets/net.ts";
import { convSpec, linearSpec, toInternal, toTorch } from "../../lib/nets/params.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";

await initBackend("wasm");

Deno.test("parameter keys and PyTorch shapes follow the paper's modules", () => {
  const shapes = (type: "toy" | "vanilla" | "nonlocal") => {
    const net = createNet(type, { n_c: 3, n_f: 32 }, 0);
    const out = Object.fromEntries(net.params.map((p) => [p.key, p.spec.torchShape]));
    net.dispose();
    return out;
  };
  const toy = shapes("toy");
  assertEquals(Object.keys(toy), ["f.0", "f.2", "f.4", "f.6", "f.8"].flatMap((k) => [`${k}.weight`, `${k}.bias`]), "toy keys");
  assertEquals(toy["f.0.weight"], [32, 2, 1, 1], "toy f.0");
  assertEquals(toy["f.8.weight"], [1, 64, 1, 1], "toy f.8");
  const v = shapes("vanilla");
  assertEquals([v["f.0.weight"], v["f.2.weight"], v["f.4.weight"], v["f.6.weight"], v["f.8.weight"]], [[32, 3, 3, 3], [64, 32, 4, 4], [128, 64, 4, 4], [256, 128, 4, 4], [1, 256, 4, 4]], "vanilla");
  const n = shapes("nonlocal");
  assertEquals(n["convs.3.g.0.weight"], [16, 32, 1, 1], "g");
  assertEquals(n["convs.7.W.weight"], [64, 32, 1, 1], "W");
  assertEquals(n["fc.0.weight"], [256, 2048], "fc.0");
  assertEquals(n["fc.2.weight"], [1, 256], "fc.2");
  assertEquals(Object.keys(n).length, 2 * (3 + 4 + 4 + 2), "nonlocal parameter count");
});

Deno.test("PyTorch default init: U(±1/√fan_in), non-local W zero; seeded", () => {
  const a = createNet("nonlocal", { n_c: 3, n_f: 8 }, 42), b = createNet("nonlocal", { n_c: 3, n_f: 8 }, 42), c = createNet("nonlocal", { n_c: 3, n_f: 8 }, 43);
  const sa = a.stateDict(), sb = b.stateDict(), sc = c.stateDict();
  for (const p of a.params) {
    const vals = sa[p.key].data;
    assertEquals(Array.from(vals), Array.from(sb[p.key].data), `seeded ${p.key}`);
    if (p.key.includes(".W.")) {
      assert(vals.every((x) => x === 0), `${p.key} not zero`);
      continue;
    }
    const fanIn = p.spec.init.kind === "uniform" ? p.spec.init.fanIn : 0;
    const bound = 1 / Math.sqrt(fanIn);
    const max = vals.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert(max <= bound && (vals.length < 20 || max > 0.8 * bound), `${p.key}: max |w| ${max} vs bound ${bound}`);
  }
  assert(sa["convs.0.weight"].data.some((x, i) => x !== sc["convs.0.weight"].data[i]), "another seed gives other weights");
  [a, b, c].forEach((n) => n.dispose());
});

Deno.test("layout conversions are exact inverses; conv OIHW → HWIO puts [o,i,h,w] at [h,w,i,o]", () => {
  const [conv] = convSpec("c", 3, 5, 4), [lin] = linearSpec("l", 6, 7);
  for (const spec of [conv, lin]) {
    const v = new Random(1).normalArray(spec.torchShape.reduce((x, y) => x * y, 1));
    assertEquals(Array.from(toTorch(spec, toInternal(spec, v))), Array.from(v), spec.key);
  }
  const v = Float32Array.from({ length: 5 * 3 * 4 * 4 }, (_, i) => i);
  const hwio = toInternal(conv, v);
  const [o, i, h, w] = [2, 1, 3, 0];
  assertEquals(hwio[((h * 4 + w) * 3 + i) * 5 + o], v[((o * 3 + i) * 4 + h) * 4 + w], "element");
});

Deno.test("stateDict/loadStateDict round trip changes the energy accordingly", async () => {
  const a = createNet("vanilla", { n_c: 1, n_f: 4 }, 1), b = createNet("vanilla", { n_c: 1, n_f: 4 }, 2);
  const x = tf.tensor(new Random(3).uniformArray(2 * 32 * 32, -1, 1), [2, 32, 32, 1]);
  const ea = await a.energy(x).data(), eb0 = await b.energy(x).data();
  assert(ea[0] !== eb0[0], "different nets give different energies");
  b.loadStateDict(a.stateDict());
  assertEquals(Array.from(await b.energy(x).data()), Array.from(ea), "energies after load");
  tf.dispose(x);
  [a, b].forEach((n) => n.dispose());
});

Deno.test("wrong sizes and inputs fail naming the field", async () => {
  await assertThrowsAsync(async () => createNet("vanilla", { n_c: 3, n_f: 0 }), "'n_f'", "got 0");
  await assertThrowsAsync(async () => createNet("resnet" as "toy"), "'resnet'", "toy, vanilla, nonlocal");
  const net = createNet("vanilla", { n_c: 3, n_f: 2 });
  await assertThrowsAsync(async () => net.energy(tf.zeros([2, 28, 28, 1])), "expected input [N, 32,32,3]", "got [2,28,28,1]");
  net.dispose();
});
