/**
 * Basins figures of the ADELM mapping (SPEC §4.5): the disconnectivity graph (leaves = basins at
 * their representative's energy, merges at barrier energies; each leaf's minimum image drawn
 * under it) and a grid per basin (representative first, then the other members).
 *
 * Input (read from `basins.json` by `tasks/plot-basins.ts`; the fields this module needs):
 * `energies` (per minimum), `basins: [{ id, representative, members: [index | { index }] }]`
 * (member/representative = index into the minima), and `tree: { nodes: [{ node, energy,
 * children? }], roots }` with leaves 0..B−1 = basins in `basins` order (the shape of
 * `lib/adelm/disconnectivity.ts`). When `tree` is absent the graph shows the leaves only.
 * `parameters.auto_alpha` (ad.alpha auto) is checked by `alpha_spectrum.ts` and kept as `autoAlpha`.
 *
 * @example
 * ```ts
 * import { disconnectivityFigure } from "./basins.ts";
 * const figure = await disconnectivityFigure({
 *   leaves: [{ label: "B0", energy: -3 }, { label: "B1", energy: -2 }],
 *   nodes: [{ node: 0, energy: -3 }, { node: 1, energy: -2 }, { node: 2, energy: 1, children: [0, 1] }],
 *   roots: [2],
 * });
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { pngDataUri } from "./colormap.ts";
import { composePanels } from "./compose.ts";
import { encodeGridPng, makeGrid, upscaleNearest } from "../data/image_grid.ts";
import { type Figure, type FigureDocument, plotToSvg } from "./render.ts";
import type { BasinsJson, GraphNode } from "../artifacts/basins_file.ts";

/** A leaf (basin) of the graph. */
export interface GraphLeaf {
  label: string;
  energy: number;
  /** PNG bytes drawn under the leaf (e.g. the basin's minimum). */
  image?: Uint8Array;
}


/** Input of {@link disconnectivityFigure}. */
export interface DisconnectivityData {
  leaves: GraphLeaf[];
  nodes: GraphNode[];
  roots: number[];
  title?: string;
  /** Pixel size of the leaf images (default 48). */
  imageSize?: number;
}

interface Layout {
  x: Map<number, number>;
  order: number[];
}

function layoutTree(data: DisconnectivityData): Layout {
  const byId = new Map(data.nodes.map((n) => [n.node, n]));
  const order: number[] = [];
  const x = new Map<number, number>();
  const lowest = new Map<number, number>();
  const lowestLeaf = (id: number, depth = 0): number => {
    if (lowest.has(id)) return lowest.get(id)!;
    const node = byId.get(id);
    if (!node || depth > data.nodes.length) return Infinity;
    const value = node.children ? Math.min(lowestLeaf(node.children[0], depth + 1), lowestLeaf(node.children[1], depth + 1)) : node.energy;
    lowest.set(id, value);
    return value;
  };
  const visit = (id: number, depth: number): number => {
    if (depth > data.nodes.length) throw new Error(`Cannot draw the disconnectivity graph: node ${id} is part of a cycle`);
    const node = byId.get(id);
    if (!node) throw new Error(`Cannot draw the disconnectivity graph: node ${id} is referenced but not defined`);
    if (!node.children) {
      if (id >= data.leaves.length) throw new Error(`Cannot draw the disconnectivity graph: leaf node ${id} has no basin (only ${data.leaves.length} leaves)`);
      order.push(id);
      x.set(id, order.length - 1);
      return order.length - 1;
    }
    // The subtree holding the deeper minimum goes left, so the global minimum's branch leads.
    const [a, b] = [...node.children].sort((p, q) => lowestLeaf(p) - lowestLeaf(q));
    const xa = visit(a, depth + 1), xb = visit(b, depth + 1);
    x.set(id, (xa + xb) / 2);
    return (xa + xb) / 2;
  };
  const roots = [...data.roots].sort((p, q) => lowestLeaf(p) - lowestLeaf(q));
  for (const root of roots) visit(root, 0);
  for (let leaf = 0; leaf < data.leaves.length; leaf++) {
    if (!x.has(leaf)) throw new Error(`Cannot draw the disconnectivity graph: basin ${leaf} is under no root`);
  }
  return { x, order };
}

/** Builds the disconnectivity graph with each leaf's image under it. */
export function disconnectivityFigure(data: DisconnectivityData): Figure {
  if (data.leaves.length === 0) throw new Error("Cannot draw the disconnectivity graph: no basins");
  const { x } = layoutTree(data);
  const byId = new Map(data.nodes.map((n) => [n.node, n]));
  const energies = data.nodes.map((n) => n.energy).filter(Number.isFinite);
  const lo = Math.min(...energies), hi = Math.max(...energies);
  const span = hi > lo ? hi - lo : Math.max(1, Math.abs(hi));
  const top = hi + 0.08 * span;
  const segments: { x1: number; y1: number; x2: number; y2: number }[] = [];
  const parent = new Map<number, number>();
  for (const n of data.nodes) for (const c of n.children ?? []) parent.set(c, n.node);
  for (const n of data.nodes) {
    const upTo = parent.has(n.node) ? byId.get(parent.get(n.node)!)!.energy : top;
    segments.push({ x1: x.get(n.node)!, y1: n.energy, x2: x.get(n.node)!, y2: upTo });
    if (n.children) {
      const [a, b] = n.children;
      segments.push({ x1: x.get(a)!, y1: n.energy, x2: x.get(b)!, y2: n.energy });
    }
  }
  const imageSize = data.imageSize ?? 48;
  const leafCount = data.leaves.length;
  const width = Math.max(360, 90 + leafCount * (imageSize + 12));
  const labels: Plot.RenderFunction = (_index, scales, _values, dimensions, context) => {
    const g = (context.document as unknown as FigureDocument).createElementNS("http://www.w3.org/2000/svg", "g");
    const sx = scales.x!;
    const yBase = dimensions.height - dimensions.marginBottom + 8;
    data.leaves.forEach((leaf, i) => {
      const cx = sx(x.get(i)!) as number;
      if (leaf.image) {
        const img = (context.document as unknown as FigureDocument).createElementNS("http://www.w3.org/2000/svg", "image");
        img.setAttribute("x", String(cx - imageSize / 2));
        img.setAttribute("y", String(yBase));
        img.setAttribute("width", String(imageSize));
        img.setAttribute("height", String(imageSize));
        img.setAttribute("image-rendering", "optimizeSpeed");
        img.setAttribute("href", pngDataUri(leaf.image));
        g.appendChild(img);
      }
      const text = (context.document as unknown as FigureDocument).createElementNS("http://www.w3.org/2000/svg", "text");
      text.setAttribute("x", String(cx));
      text.setAttribute("y", String(yBase + (leaf.image ? imageSize + 12 : 10)));
      text.setAttribute("text-anchor", "middle");
      text.setAttribute("font-size", "10");
      text.textContent = leaf.label;
      g.appendChild(text);
    });
    return g as never;
  };
  const hasImages = data.leaves.some((l) => l.image);
  const graph = plotToSvg({
    width,
    height: 320 + (hasImages ? imageSize : 0),
    marginLeft: 64,
    marginBottom: 8 + (hasImages ? imageSize + 8 : 0) + 16,
    x: { axis: null, domain: [-0.6, leafCount - 0.4] },
    y: { domain: [lo - 0.04 * span, top], label: "energy", labelArrow: "none", labelAnchor: "center", grid: true },
    marks: [
      Plot.link(segments, { x1: "x1", y1: "y1", x2: "x2", y2: "y2", stroke: "#1f77b4", strokeWidth: 1.5 }),
      Plot.dot(data.leaves.map((l, i) => ({ x: x.get(i)!, y: l.energy })), { x: "x", y: "y", r: 3, fill: "#1f77b4" }),
      labels,
    ],
  });
  return composePanels([{ title: data.title ?? "Disconnectivity graph", figure: graph }], { columns: 1 });
}



/** Member indices of a basin with the representative first (duplicates removed). */
export function basinOrder(basin: BasinsJson["basins"][number]): number[] {
  const members = basin.members.map((m) => (typeof m === "number" ? m : m.index));
  return [basin.representative, ...members.filter((m) => m !== basin.representative)];
}

/** Images of one basin (NHWC, minima indexed by `order`) as a make_grid PNG, enlarged `scale` times. */
export async function basinGridPng(minima: Float32Array, shape: { height: number; width: number; channels: number }, order: number[], scale = 1): Promise<Uint8Array> {
  const size = shape.height * shape.width * shape.channels;
  const batch = new Float32Array(order.length * size);
  order.forEach((m, i) => batch.set(minima.subarray(m * size, (m + 1) * size), i * size));
  return await encodeGridPng(upscaleNearest(makeGrid(batch, { n: order.length, ...shape }), scale));
}

/** Graph input from `basins.json` plus (optionally) the minima images. */
export async function graphFromBasins(basins: BasinsJson, minima?: { data: Float32Array; height: number; width: number; channels: number }): Promise<DisconnectivityData> {
  const leaves: GraphLeaf[] = [];
  for (const [i, b] of basins.basins.entries()) {
    const image = minima ? await basinGridPng(minima.data, minima, [b.representative]) : undefined;
    leaves.push({ label: `B${b.id ?? i} (${basinOrder(b).length})`, energy: basins.energies[b.representative], image });
  }
  const tree = basins.tree ?? { nodes: leaves.map((l, i) => ({ node: i, energy: l.energy })), roots: leaves.map((_, i) => i) };
  return { leaves, nodes: tree.nodes, roots: tree.roots };
}
