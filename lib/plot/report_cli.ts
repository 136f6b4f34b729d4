/**
 * Command line: rebuild `outputs/<pipeline>/report.html` from the pipeline's lock file (run it
 * after the runner has finished, from the project root).
 *
 * @example
 * ```sh
 * deno run -R -W -E -N --allow-ffi --allow-sys lib/plot/report_cli.ts demo
 * ```
 * @module
 */
import { writeReportFromLock } from "./report.ts";

if (import.meta.main) {
  const pipeline = Deno.args[0];
  if (!pipeline) {
    console.error("Usage: deno run -R -W -E -N --allow-ffi --allow-sys lib/plot/report_cli.ts <pipeline>");
    Deno.exit(2);
  }
  try {
    console.log(await writeReportFromLock(Deno.cwd(), pipeline));
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
