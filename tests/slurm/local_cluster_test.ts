/** A daemon left running across a package purge is recognised by its removed executable. */
import { assertEquals } from "../assert.ts";
import { isDeletedExecutable } from "../../lib/slurm/local_cluster.ts";

Deno.test("local cluster: a daemon whose executable was removed (purge, upgrade) is stale", () => {
  assertEquals(isDeletedExecutable("/usr/sbin/slurmd-wlm (deleted)\n"), true);
  assertEquals(isDeletedExecutable("/usr/sbin/slurmctld-wlm"), false);
  assertEquals(isDeletedExecutable("/usr/sbin/my (deleted) dir/slurmd"), false);
});
