/**
 * The bench scripts' command-line check: unknown flags, stray arguments and flags without a value
 * are named; value flags and switches in any order pass.
 */
import { assertEquals } from "../assert.ts";
import { commandLineProblem } from "../../bench/cli_args.ts";

Deno.test("commandLineProblem names what is wrong, and accepts value flags and switches", () => {
  const names = ["reps", "nets"], switches = ["no-torch"];
  assertEquals(commandLineProblem([], names, switches), null);
  assertEquals(commandLineProblem(["--reps", "3", "--no-torch", "--nets", "toy"], names, switches), null);
  assertEquals(commandLineProblem(["--rep", "3"], names, switches), "unknown flag '--rep' (known: --reps, --nets, --no-torch)");
  assertEquals(commandLineProblem(["toy"], names, switches), "unexpected argument 'toy'");
  assertEquals(commandLineProblem(["--nets"], names, switches), "'--nets' needs a value");
  assertEquals(commandLineProblem(["--no-torch", "3"], names, switches), "unexpected argument '3'");
});
