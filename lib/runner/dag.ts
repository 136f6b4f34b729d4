/**
 * The step graph: topological order (with the cycle named when there is one), the `--until` /
 * `--only` selections, downstream closure, and Mermaid / Graphviz rendering for `deno task dag`.
 *
 * @example
 * ```ts
 * import { topologicalOrder, renderMermaid } from "./dag.ts";
 * const steps = { a: { needs: [] }, b: { needs: ["a"] } };
 * topologicalOrder(steps); // ["a", "b"]
 * renderMermaid(steps, { a: "gen", b: "stats" });
 * ```
 * @module
 */
import { UserError } from "./errors.ts";

/** The part of a step the graph needs. */
export type GraphSteps = Record<string, { needs: readonly string[] }>;

/** Steps ordered so every step follows its needs; file order breaks ties. Throws on a cycle. */
export function topologicalOrder(steps: GraphSteps, file = "the pipeline"): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string) => {
    const s = state.get(id);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      throw new UserError(`Invalid ${file}: steps form a cycle: ${cycle.join(" → ")}`);
    }
    state.set(id, "visiting");
    stack.push(id);
    for (const need of steps[id].needs) visit(need);
    stack.pop();
    state.set(id, "done");
    order.push(id);
  };
  for (const id of Object.keys(steps)) visit(id);
  return order;
}

/** `id` and everything it needs, transitively. */
export function upstreamClosure(steps: GraphSteps, id: string): Set<string> {
  const seen = new Set<string>();
  const walk = (s: string) => {
    if (seen.has(s)) return;
    seen.add(s);
    steps[s].needs.forEach(walk);
  };
  walk(id);
  return seen;
}

/** Every step that needs `id`, transitively (not `id` itself). */
export function downstreamClosure(steps: GraphSteps, id: string): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [s, step] of Object.entries(steps)) {
      if (!out.has(s) && step.needs.some((n) => n === id || out.has(n))) {
        out.add(s);
        grew = true;
      }
    }
  }
  return out;
}

function quoteDot(s: string): string {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

/** A Mermaid `flowchart` of the steps, each labelled `id (task)`. */
export function renderMermaid(steps: GraphSteps, tasks: Record<string, string>): string {
  const safe = (id: string) => id.replaceAll("-", "_");
  const lines = ["flowchart TD"];
  for (const id of Object.keys(steps)) lines.push(`  ${safe(id)}["${id}<br/><small>${tasks[id]}</small>"]`);
  for (const [id, step] of Object.entries(steps)) for (const need of step.needs) lines.push(`  ${safe(need)} --> ${safe(id)}`);
  return lines.join("\n") + "\n";
}

/** A Graphviz `digraph` of the steps. */
export function renderDot(steps: GraphSteps, tasks: Record<string, string>, name = "pipeline"): string {
  const lines = [`digraph ${quoteDot(name)} {`, "  rankdir=TB;", "  node [shape=box];"];
  for (const id of Object.keys(steps)) lines.push(`  ${quoteDot(id)} [label=${quoteDot(`${id}\n(${tasks[id]})`)}];`);
  for (const [id, step] of Object.entries(steps)) for (const need of step.needs) lines.push(`  ${quoteDot(need)} -> ${quoteDot(id)};`);
  lines.push("}");
  return lines.join("\n") + "\n";
}
