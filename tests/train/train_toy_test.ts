import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { initBackend } from "../../lib/tensor/backend.ts";
import { TrainToyConfig } from "../../lib/train/config.ts";
import { trainToy } from "../../tasks/train-toy.ts";
import { parseMetricsJsonl } from "../../lib/artifacts/metrics_log.ts";
import { readJson } from "../../lib/util/fs.ts";
import { contextWithResume } from "./helpers.ts";

await initBackend("cpu");

const tiny = (over: Record<string, unknown>) => TrainToyConfig.parse({
  num_train_iters: 4, batch_size: 10, toy_type: "gmm", toy_groups: 8, toy_sd: 0.15, toy_radius: 1, viz_res: 16, kde_bw: 0.1,
  num_mcmc_steps: 3, s_t_0_size: 20, log_info_freq: 2, log_viz_freq: 4, batch_size_kde: 40, ...over,
});

Deno.test("train-toy: landscape data, KLs and outputs for every init type", async () => {
  for (const init_type of ["persistent", "data", "uniform", "gaussian"]) {
    const config = tiny({ init_type, toy_type: init_type === "data" ? "rings" : "gmm", toy_groups: init_type === "data" ? 2 : 8 });
    const t = await contextWithResume(config, []);
    try {
      await trainToy(t.ctx);
      const m = t.metrics!;
      assert(Number.isFinite(m.kl_true_ebm as number) && (m.kl_true_ebm as number) >= 0, `KL EBM ${m.kl_true_ebm}`);
      assert(Number.isFinite(m.kl_true_kde as number) && (m.kl_true_kde as number) >= 0, `KL KDE ${m.kl_true_kde}`);
      const l = await readJson<Record<string, unknown>>(`${t.ctx.outDir}/landscape.json`);
      for (const k of ["true_density", "true_log_density", "ebm_density", "ebm_log_density", "kde_density", "kde_log_density"]) {
        assertEquals((l[k] as number[]).length, 16 * 16, k);
      }
      // The EBM density is normalised over the grid: Σ density · cell area = 1.
      const xs = (l.extent as number) * 2 / 15;
      const mass = (l.ebm_density as number[]).reduce((a, b) => a + b, 0) * xs * xs;
      assert(Math.abs(mass - 1) < 1e-4, `EBM mass ${mass}`);
      const files = [...Deno.readDirSync(t.ctx.outDir)].map((e) => e.name);
      for (const f of ["landscape.json", "landscapes", "checkpoint.safetensors", "metrics.jsonl"]) assert(files.includes(f), `${init_type}: missing ${f}`);
      assertEquals(files.includes("bank.safetensors"), init_type === "persistent", "bank only for persistent");
    } finally {
      await t.dispose();
    }
  }
});

Deno.test("train-toy: killed and re-run equals an uninterrupted run (SGD, persistent bank)", async () => {
  const root = await Deno.makeTempDir();
  const config = tiny({ num_train_iters: 5, log_viz_freq: 5 });
  const a = await contextWithResume(config, [], `${root}/a`);
  const b1 = await contextWithResume(config, [], `${root}/b`);
  const b2 = await contextWithResume(config, [], `${root}/b`);
  try {
    await trainToy(a.ctx);
    await assertThrowsAsync(() => trainToy(b1.ctx, { afterIteration: (i) => { if (i === 3) throw new Error("simulated kill"); } }), "simulated kill");
    await trainToy(b2.ctx);
    const strip = async (dir: string) => parseMetricsJsonl(await Deno.readTextFile(`${dir}/metrics.jsonl`)).map(({ iter, d_t, r_t, lr }) => ({ iter, d_t, r_t, lr }));
    assertEquals(await strip(b2.ctx.outDir), await strip(a.ctx.outDir));
    assertEquals(b2.metrics!.kl_true_ebm, a.metrics!.kl_true_ebm);
    assertEquals(b2.metrics!.kl_true_kde, a.metrics!.kl_true_kde);
    assertEquals(b2.metrics!.resumed_from, 2);
  } finally {
    for (const t of [a, b1, b2]) await t.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
