/** The child's stdout lines as the runner (local and Slurm) reads them. */
import { assertEquals } from "../assert.ts";
import { parseChildLine } from "../../lib/runner/step_protocol.ts";

Deno.test("parseChildLine reads JSON messages and keeps a stray print as an info log line", () => {
  assertEquals(parseChildLine('{"type":"result","ok":true}'), { type: "result", ok: true });
  assertEquals(parseChildLine('{"type":"result","ok":false,"failure":{"kind":"task","message":"boom"}}'), {
    type: "result",
    ok: false,
    failure: { kind: "task", message: "boom" },
  });
  assertEquals(parseChildLine('{"type":"progress","done":3,"total":10}'), { type: "progress", done: 3, total: 10 });
  assertEquals(parseChildLine("warning: not JSON {"), { type: "log", level: "info", message: "warning: not JSON {" });
});
