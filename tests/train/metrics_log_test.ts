import { assert, assertEquals, assertThrowsAsync } from "../assert.ts";
import { MetricsLog, parseMetricsJsonl } from "../../lib/artifacts/metrics_log.ts";

const rec = (iter: number) => ({ iter, d_t: iter / 10, r_t: 1, lr: 1e-4, seconds: 0.1 });

Deno.test("metrics.jsonl: appended lines survive, and resume keeps exactly 1..k", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/metrics.jsonl`;
    const log = await MetricsLog.open(path, 0);
    for (let i = 1; i <= 5; i++) log.append(rec(i));
    log.close();
    // Simulate a torn last line from a kill mid-write.
    await Deno.writeTextFile(path, '{"iter": 6, "d_t"', { append: true });
    const resumed = await MetricsLog.open(path, 3);
    assertEquals(resumed.records.map((r) => r.iter), [1, 2, 3]);
    resumed.append(rec(4));
    resumed.close();
    assertEquals(parseMetricsJsonl(await Deno.readTextFile(path)).map((r) => r.iter), [1, 2, 3, 4]);
    await assertThrowsAsync(() => MetricsLog.open(path, 9), "iteration 5 is missing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("metrics.jsonl: a malformed middle line is an error naming the line", () => {
  let message = "";
  try {
    parseMetricsJsonl('{"iter":1,"d_t":0,"r_t":0,"lr":0,"seconds":0}\nxx\n{"iter":2,"d_t":0,"r_t":0,"lr":0,"seconds":0}\n\n', "m.jsonl");
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("'m.jsonl' line 2"), message);
});
