import { createPool } from "../../lib/pool/pool.ts";
import { assert, assertThrowsAsync } from "../assert.ts";

const worker = new URL("./square_worker.ts", import.meta.url);

Deno.test("pool: runs exported functions of a TypeScript worker module", async () => {
  const pool = createPool({ threads: 2 });
  try {
    const results = await Promise.all([1000, 2000, 3000].map((n) => pool.run<number>(worker, "busy", n)));
    let expected = 0;
    for (let i = 0; i < 3000; i++) expected += Math.sqrt(i);
    assert(Math.abs(results[2] - expected) < 1e-6, `got ${results[2]}, expected ${expected}`);
  } finally {
    await pool.close();
  }
});

Deno.test("pool: errors in workers and unknown exports reach the caller", async () => {
  const pool = createPool({ threads: 1 });
  try {
    await assertThrowsAsync(() => pool.run(worker, "fail", "boom in worker"), "boom in worker");
    await assertThrowsAsync(() => pool.run(worker, "nope", 1), "'nope'", "no such exported function");
  } finally {
    await pool.close();
  }
});

Deno.test("pool: a closed pool refuses work with a clear message", async () => {
  const pool = createPool({ threads: 1 });
  await pool.close();
  await assertThrowsAsync(() => pool.run(worker, "busy", 1), "pool is closed");
});
