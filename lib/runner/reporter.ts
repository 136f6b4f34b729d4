/**
 * Live progress of a run: on a terminal one status line that updates in place (running steps
 * with their latest progress) with finished steps and log lines printed above it; otherwise
 * plain timestamped lines (progress at most every few seconds per step, so CI logs stay short).
 *
 * @example
 * ```ts
 * import { createReporter } from "./reporter.ts";
 * const reporter = createReporter(Deno.stdout, 3);
 * reporter.stepStart("generate", "demo-generate");
 * reporter.stepProgress("generate", 5, 10, "chunk");
 * reporter.stepEnd("generate", "ran", 0.4, "points=2000");
 * reporter.close();
 * ```
 * @module
 */

/** Receives run events. */
export interface Reporter {
  note(message: string): void;
  stepStart(id: string, task: string): void;
  stepLog(id: string, level: "info" | "warn" | "debug", message: string): void;
  stepProgress(id: string, done: number, total: number, label?: string): void;
  stepEnd(id: string, status: "ran" | "cached" | "failed" | "skipped", seconds: number | null, detail: string): void;
  close(): void;
}

const symbols = { ran: "✓", cached: "≡", failed: "✗", skipped: "–" } as const;

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}

function percent(done: number, total: number): string {
  return total > 0 ? `${Math.floor((100 * done) / total)}%` : `${done}`;
}

/** A reporter writing to `stream` (a TTY gets the updating line). `total` is the step count. */
export function createReporter(stream: { writeSync(p: Uint8Array): number; isTerminal(): boolean }, total: number): Reporter {
  const encoder = new TextEncoder();
  const write = (text: string) => {
    const bytes = encoder.encode(text);
    let n = 0;
    while (n < bytes.length) n += stream.writeSync(bytes.subarray(n));
  };
  const tty = stream.isTerminal();
  const running = new Map<string, { task: string; progress: string; lastPrinted: number; started: number }>();
  let finished = 0;
  let statusShown = false;
  let lastDraw = 0;

  const clearStatus = () => {
    if (tty && statusShown) write("\r\x1b[2K");
    statusShown = false;
  };
  const drawStatus = (force = false) => {
    if (!tty) return;
    const now = performance.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const parts = [...running.entries()].map(([id, r]) => `${id}${r.progress ? " " + r.progress : ""} ${((now - r.started) / 1000).toFixed(0)}s`);
    const columns = (() => {
      try {
        const c = Deno.consoleSize().columns;
        return c >= 20 ? c : 100;
      } catch {
        return 100;
      }
    })();
    let line = `[${finished}/${total}] ${parts.join(" · ") || "…"}`;
    if (line.length > columns - 1) line = line.slice(0, columns - 2) + "…";
    write(`\r\x1b[2K${line}`);
    statusShown = true;
  };
  const println = (text: string) => {
    clearStatus();
    write(`${tty ? "" : `[${clock()}] `}${text}\n`);
    drawStatus(true);
  };

  // Keeps the elapsed times moving while steps are quiet.
  const ticker = tty ? setInterval(() => running.size > 0 && drawStatus(true), 1000) : undefined;
  if (ticker !== undefined) Deno.unrefTimer(ticker);

  return {
    note: (message) => println(message),
    stepStart(id, task) {
      running.set(id, { task, progress: "", lastPrinted: -Infinity, started: performance.now() });
      println(`▶ ${id} (${task}) started`);
    },
    stepLog(id, level, message) {
      if (level === "debug") return;
      println(`  ${id}${level === "warn" ? " warning" : ""}: ${message}`);
    },
    stepProgress(id, done, total, label) {
      const r = running.get(id);
      if (!r) return;
      r.progress = `${percent(done, total)}${label ? ` (${label} ${done}/${total})` : ""}`;
      if (tty) drawStatus();
      else if (performance.now() - r.lastPrinted > 5000 || done === total) {
        r.lastPrinted = performance.now();
        println(`  ${id}: ${r.progress}`);
      }
    },
    stepEnd(id, status, seconds, detail) {
      running.delete(id);
      finished++;
      const time = seconds === null ? "" : ` ${seconds.toFixed(1)}s`;
      println(`${symbols[status]} ${id} ${status}${time}${detail ? ` — ${detail}` : ""}`);
    },
    close() {
      clearInterval(ticker);
      clearStatus();
    },
  };
}
