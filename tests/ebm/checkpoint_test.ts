/** Checkpoints round-trip; a state_dict saved from PyTorch loads and gives PyTorch's energies. */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/tensor/backend.ts";
import { createNet, type NetType } from "../../lib/nets/net.ts";
import { NetAndOptimizer } from "../../lib/train/model.ts";
import { decodeCheckpoint, encodeCheckpoint, readBankFile, readCheckpoint, readTorchStateDict, writeBankFile, writeCheckpoint } from "../../lib/artifacts/checkpoint.ts";
import { encodeSafetensors, readSafetensors } from "../../lib/util/safetensors.ts";
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
  const model = new NetAndOptimizer(createNet("toy", { n_c: 2, n_f: 32 }, 3), "adam");
  const x = tf.tensor(new Random(1).normalArray(16), [8, 2]);
  const neg = tf.tensor(new Random(2).normalArray(16), [8, 2]);
  model.step(x, neg, 0, 1e-3);
  model.step(x, neg, 0, 1e-3);
  const bank = new Random(4).uniformArray(10, -1, 1);
  const dir = await Deno.makeTempDir();
  const meta = { iteration: 2, seed: 77, config: { lr_init: 1e-3 }, net_type: "toy" as const, n_f: 32 };
  await writeCheckpoint(`${dir}/ck.safetensors`, model.stateTensors(), meta);
  await writeBankFile(`${dir}/bank.safetensors`, bank, [5, 2], meta);
  const ck = await readCheckpoint(`${dir}/ck.safetensors`);
  assertEquals([ck.shape, ck.iteration, ck.seed, ck.config], [{ net_type: "toy", n_c: 2, n_f: 32 }, 2, 77, { lr_init: 1e-3 }], "metadata");
  assertEquals(Array.from((await readBankFile(`${dir}/bank.safetensors`, 2)).states), Array.from(bank), "bank");
  assertEquals(ck.optimizer!.step, 2, "optimiser step");
  // Continue both the original and a restored copy by one step: identical weights.
  const model2 = new NetAndOptimizer(createNet(ck.shape.net_type, ck.shape, 999), "adam");
  model2.restore(model.stateTensors(), "the original");
  const restored = new NetAndOptimizer(createNet(ck.shape.net_type, ck.shape, 999), "adam");
  restored.net.loadStateDict(ck.stateDict);
  restored.optimizer.loadStateDict(ck.optimizer!.stateDict, 0, ck.optimizer!.step);
  model.step(x, neg, 0, 1e-3);
  restored.step(x, neg, 0, 1e-3);
  const a = model.net.stateDict(), b = restored.net.stateDict();
  for (const k of Object.keys(a)) assertEquals(Array.from(b[k].data), Array.from(a[k].data), `resumed ${k}`);
  await Deno.remove(dir, { recursive: true });
  tf.dispose([x, neg]);
  for (const m of [model, model2, restored]) {
    m.optimizer.dispose();
    m.net.dispose();
  }
});

Deno.test("checkpoint net shape: metadata wins and must match the config; files without metadata take the config's; neither is an error naming file and field", async () => {
  const model = new NetAndOptimizer(createNet("vanilla", { n_c: 1, n_f: 8 }, 3), "adam");
  const bytes = encodeCheckpoint(model.stateTensors(), { iteration: 1, seed: 1, config: {}, net_type: "vanilla", n_c: 1, n_f: 8 });
  assertEquals(decodeCheckpoint(bytes, "'a.safetensors'").shape, { net_type: "vanilla", n_c: 1, n_f: 8 }, "from metadata");
  assertEquals(decodeCheckpoint(bytes, "'a.safetensors'", { net_type: "vanilla", n_c: 1, n_f: 8 }).shape.n_f, 8, "agreeing config");
  await assertThrowsAsync(async () => decodeCheckpoint(bytes, "'a.safetensors'", { n_f: 16 }, "config"), "'a.safetensors'", "metadata field 'n_f' is 8 but config 'n_f' is 16");
  // A converted PyTorch state_dict: bare keys, no metadata.
  const bare = encodeSafetensors(Object.fromEntries(Object.entries(model.net.stateDict()).map(([k, v]) => [k, { dtype: "F32" as const, shape: v.shape, data: v.data }])));
  const ck = decodeCheckpoint(bare, "'torch.safetensors'", { net_type: "vanilla", n_c: 1, n_f: 8 });
  assertEquals([ck.shape, ck.iteration, ck.optimizer], [{ net_type: "vanilla", n_c: 1, n_f: 8 }, null, null], "shape from the config");
  const net = createNet(ck.shape.net_type, ck.shape);
  net.loadStateDict(ck.stateDict, "'torch.safetensors'");
  await assertThrowsAsync(async () => decodeCheckpoint(bare, "'torch.safetensors'", { net_type: "vanilla", n_f: 8 }), "'torch.safetensors'", "metadata field 'n_c' is missing");
  await assertThrowsAsync(async () => decodeCheckpoint(bare, "'torch.safetensors'"), "metadata field 'net_type' is missing");
  net.dispose();
  model.optimizer.dispose();
  model.net.dispose();
});

Deno.test("bad checkpoints and state_dicts fail naming the problem", async () => {
  const net = createNet("toy", {}, 3);
  const tensors = Object.fromEntries(Object.entries(net.stateDict()).map(([k, v]) => [`net.${k}`, { dtype: "F32" as const, shape: v.shape, data: v.data }]));
  const bytes = encodeCheckpoint(tensors, { iteration: 1, seed: 1, config: {}, net_type: "toy", n_f: 32 });
  const ck = decodeCheckpoint(bytes);
  assert(ck.optimizer === null, "no optimiser saved");
  const broken = { ...ck.stateDict };
  delete broken["f.8.bias"];
  await assertThrowsAsync(async () => net.loadStateDict(broken, "'x.safetensors'"), "'x.safetensors'", "missing key(s) f.8.bias");
  const wrong = { ...ck.stateDict, "f.0.weight": { shape: [32, 3, 1, 1], data: new Float32Array(96) } };
  await assertThrowsAsync(async () => net.loadStateDict(wrong), "'f.0.weight'", "expected shape [32,2,1,1]");
  await assertThrowsAsync(async () => decodeCheckpoint(bytes.slice(0, 4), "'short.safetensors'"), "'short.safetensors'");
  net.dispose();
});
