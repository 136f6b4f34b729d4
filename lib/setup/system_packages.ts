/**
 * The system packages the test suite needs — one list, in one place. `deno task test` runs
 * `lib/setup/cli.ts` first, which checks them; as root on Debian/Ubuntu it installs what is
 * missing with apt, anywhere else it stops with the exact command to run. `.ci/run` and the
 * nightly workflow go through the same command, so no list is kept twice.
 *
 * None of them is needed by the README's main command (`task pipeline basins-fashion --profile
 * smoke` runs on the embedded sample and the wasm backend when they are absent).
 *
 * @example
 * ```ts
 * import { SYSTEM_PACKAGES } from "./system_packages.ts";
 * console.log(SYSTEM_PACKAGES.map((p) => p.name).join(" ")); // "libdnnl2 libdnnl-dev gcc dataset-fashion-mnist chromium munge slurmctld slurmd slurm-client"
 * ```
 * @module
 */

/** One Debian package the tests need, and why. */
export interface SystemPackage {
  /** The Debian/Ubuntu package name. */
  name: string;
  /** What needs it. */
  why: string;
}

/** The packages the test suite needs (see the module doc). */
export const SYSTEM_PACKAGES: readonly SystemPackage[] = [
  { name: "libdnnl2", why: "the native (oneDNN) backend and its tests" },
  { name: "libdnnl-dev", why: "the native backend's struct-layout check against oneDNN's C headers" },
  { name: "gcc", why: "compiles that struct-layout check" },
  { name: "dataset-fashion-mnist", why: "tests on the full Fashion-MNIST splits (Debian's copy, a data source of the fashion-mnist task)" },
  { name: "chromium", why: "the report test opens the page in a headless browser" },
  { name: "munge", why: "authentication for the local one-node Slurm cluster (deno task slurm:local) the --executor slurm tests start" },
  { name: "slurmctld", why: "the local Slurm cluster's controller" },
  { name: "slurmd", why: "the local Slurm cluster's compute daemon" },
  { name: "slurm-client", why: "sbatch, squeue, scontrol, scancel for the Slurm executor and its tests" },
];
