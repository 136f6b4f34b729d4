import { GaussianWells } from "../../lib/adelm/gaussian_wells.ts";
import { disconnectivityTree } from "../../lib/adelm/disconnectivity.ts";
import { streamSeed } from "../../lib/adelm/streams.ts";
import { assert, assertClose, assertEquals } from "../assert.ts";
import { embedWells, WELLS_2D } from "./helpers.ts";
import { minimumEnergyPath } from "./mep.ts";

Deno.test("adelm: Gaussian-wells gradient matches central differences", async () => {
  const u = new GaussianWells(embedWells(WELLS_2D, 8, 3));
  const x = Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + 1) * 2);
  const { grad } = await u.energyAndGrad(x, 1);
  const numeric = Array.from(x, (_, i) => {
    const p = Float64Array.from(x), m = Float64Array.from(x);
    p[i] += 1e-5;
    m[i] -= 1e-5;
    return (u.evaluate(p) - u.evaluate(m)) / 2e-5;
  });
  assertClose(grad, numeric, 1e-4, "gradient");
});

Deno.test("adelm: segment saddles are true saddles where the string method agrees", () => {
  const u = new GaussianWells(WELLS_2D);
  for (const [i, j] of [[0, 1], [0, 2], [1, 3]]) {
    const seg = u.segmentSaddle(i, j);
    const mep = minimumEnergyPath(u, u.localMinimum(i).point, u.localMinimum(j).point);
    assert(seg.gradNorm < 2e-3, `pair ${i}-${j}: gradient ${seg.gradNorm} at the segment maximum`);
    assert(Math.abs(seg.energy - mep.saddle) < 1e-3, `pair ${i}-${j}: segment ${seg.energy} vs string ${mep.saddle}`);
  }
});

Deno.test("adelm: single linkage merges lowest barriers first and leaves unconnected roots", () => {
  const inf = Infinity;
  const tree = disconnectivityTree([0, 0.5, 1, 2], [
    [0, 3, 5, inf],
    [3, 0, 4, inf],
    [5, 4, 0, inf],
    [inf, inf, inf, 0],
  ]);
  assertEquals(tree.merges, [{ node: 4, children: [0, 1], energy: 3 }, { node: 5, children: [4, 2], energy: 4 }]);
  assertEquals(tree.roots, [3, 5]);
  assertEquals(tree.nodes[5].basins, [0, 1, 2]);
});

Deno.test("adelm: random streams depend on every identity part, not on call order", () => {
  const a = streamSeed(7, 2, 5, 1, 0, 0), b = streamSeed(7, 2, 5, 1, 1, 0), c = streamSeed(8, 2, 5, 1, 0, 0);
  assert(a !== b && a !== c && b !== c, `streams collide: ${a} ${b} ${c}`);
  assertEquals(streamSeed(7, 2, 5, 1, 0, 0), a);
  assert(streamSeed(7, 1, 2) !== streamSeed(7, 1, 2, 0), "a trailing zero part must change the stream");
});
