/** Checkpoints round-trip; a state_dict saved from PyTorch loads and gives PyTorch's energies. */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createNet, type NetType } from "../../lib/nets/net.ts";
import { createOptimizer } from "../../lib/ebm/optim.ts";
import { paramGrads } from "../../lib/ebm/grads.ts";
import { PersistentBank } from "../../lib/ebm/init.ts";
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, readTorchStateDict, saveCheckpoint } from "../../lib/ebm/checkpoint.ts";
import { readSafetensors } from "../../lib/util/safetensors.ts";
import { Random } from "../../lib/util/random.ts";
import { assert, assertClose, assertEquals, assertThrowsAsync } from "../assert.ts";

await initBackend("wasm");
const FIXTURES = new URL("../fixtures/parity/", import.meta.url).pathname;

for (const [type, nf] of [["toy", 32], ["vanilla", 8], ["nonlocal", 8]] as [NetType, number][]) {
  Deno.test(`a PyTorch-saved ${type} state_dict loads and gives PyTorch's energies`, async () => {
    const sd = await readTorchStateDict(`${FIXTURES}${type}_nf${nf}_state_dict.safetensors`);
    const net = createNet(type, { n_c: 3, n_f: nf }, 0);
    net.loadStateDict(sd, "torch state_dict");
    const { tensors } = await readSafetensors(`${FIXTURES}${type}_nf${nf}.safetensors`);
    const x = tf.tensor(tensors.x.data as Float32Array, tensors.x.shape);
    const e = net.energy(x);
    assertClose(await e.data(), tensors.energy.data as Float32Array, 1e-4, "energies");
    // Key order equals PyTorch's state_dict order.
    assertEquals(net.params.map((p) => p.key), Object.keys(sd), "key order");
    tf.dispose([x, e]);
    net.dispose();
  });
}

Deno.test("checkpoint round trip: weights, Adam state, bank, iteration, seed, config; resumed step is identical", async () => {
  const net = createNet("toy", {}, 3);
  const opt = createOptimizer("adam", net.params, { lr: 1e-3 });
  const x = tf.tensor(new Random(1).normalArray(16), [8, 2]);
  const loss = () => tf.mean(net.energy(x)) as tf.Scalar;
  const stepOnce = (o = opt) => {
    const { grads } = paramGrads(net, loss);
    o.step(grads);
    tf.dispose(Object.values(grads));
  };
  stepOnce();
  stepOnce();
  const bank = PersistentBank.uniform(5, [2], new Random(4));
  const dir = await Deno.makeTempDir();
  const path = `${dir}/ck.safetensors`;
  await saveCheckpoint(path, { net, optimizer: opt, bank, iteration: 2, seed: 77, config: { lr_init: 1e-3 } });
  const ck = await loadCheckpoint(path);
  assertEquals([ck.netType, ck.size, ck.iteration, ck.seed, ck.config], ["toy", { n_c: 3, n_f: 32 }, 2, 77, { lr_init: 1e-3 }], "metadata");
  assertEquals(Array.from(ck.bank!.states), Array.from(bank.states), "bank");
  assertEquals([ck.optimizer!.type, ck.optimizer!.step, ck.optimizer!.lr], ["adam", 2, 1e-3], "optimiser");
  // Continue both the original and a restored copy by one step: identical weights.
  const net2 = createNet(ck.netType, ck.size, 999);
  net2.loadStateDict(ck.stateDict);
  const opt2 = createOptimizer(ck.optimizer!.type, net2.params, { lr: ck.optimizer!.lr });
  opt2.loadStateDict(ck.optimizer!.stateDict, ck.optimizer!.lr, ck.optimizer!.step);
  stepOnce();
  const { grads } = paramGrads(net2, () => tf.mean(net2.energy(x)) as tf.Scalar);
  opt2.step(grads);
  tf.dispose(Object.values(grads));
  const a = net.stateDict(), b = net2.stateDict();
  for (const k of Object.keys(a)) assertEquals(Array.from(b[k].data), Array.from(a[k].data), `resumed ${k}`);
  await Deno.remove(dir, { recursive: true });
  tf.dispose(x);
  [opt, opt2].forEach((o) => o.dispose());
  [net, net2].forEach((n) => n.dispose());
});

Deno.test("bad checkpoints and state_dicts fail naming the problem", async () => {
  const net = createNet("toy", {}, 3);
  const bytes = encodeCheckpoint({ net, iteration: 1, seed: 1, config: {} });
  const ck = decodeCheckpoint(bytes);
  assert(ck.optimizer === null && ck.bank === null, "no optimiser or bank saved");
  const broken = { ...ck.stateDict };
  delete broken["f.8.bias"];
  await assertThrowsAsync(async () => net.loadStateDict(broken, "'x.safetensors'"), "'x.safetensors'", "missing key(s) f.8.bias");
  const wrong = { ...ck.stateDict, "f.0.weight": { shape: [32, 3, 1, 1], data: new Float32Array(96) } };
  await assertThrowsAsync(async () => net.loadStateDict(wrong), "'f.0.weight'", "expected shape [32,2,1,1]");
  await assertThrowsAsync(async () => decodeCheckpoint(bytes.slice(0, 4), "'short.safetensors'"), "'short.safetensors'");
  net.dispose();
});
