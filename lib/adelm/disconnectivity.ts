/**
 * Disconnectivity tree by single linkage (SPEC §4.4): repeatedly merge the two groups joined by
 * the smallest barrier; the merge node sits at that barrier energy. Leaves are basins (at their
 * representative's energy). Groups never connected by a finite barrier stay separate roots.
 *
 * @example
 * ```ts
 * import { disconnectivityTree } from "./disconnectivity.ts";
 * const tree = disconnectivityTree([-1, -0.5, 0], [[0, 2, Infinity], [2, 0, 3], [Infinity, 3, 0]]);
 * tree.merges; // [{ node: 3, children: [0, 1], energy: 2 }, { node: 4, children: [3, 2], energy: 3 }]
 * ```
 * @module
 */

/** A node: leaves 0..n-1 are basins; merge nodes follow in merge order. */
export interface TreeNode {
  node: number;
  energy: number;
  /** Basin ids under this node. */
  basins: number[];
  /** Lowest leaf energy below this node (orders children: deeper subtree first). */
  lowest: number;
  children?: [number, number];
}

/** The tree: every node, the merges in order, and the roots. */
export interface DisconnectivityTree {
  nodes: TreeNode[];
  merges: { node: number; children: [number, number]; energy: number }[];
  roots: number[];
}

/** Single-linkage tree over `leafEnergies` with symmetric `barriers` (Infinity = no edge). */
export function disconnectivityTree(leafEnergies: number[], barriers: number[][]): DisconnectivityTree {
  const n = leafEnergies.length;
  const nodes: TreeNode[] = leafEnergies.map((energy, i) => ({ node: i, energy, basins: [i], lowest: energy }));
  const edges: { i: number; j: number; b: number }[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) if (Number.isFinite(barriers[i][j])) edges.push({ i, j, b: barriers[i][j] });
  }
  edges.sort((x, y) => x.b - y.b || x.i - y.i || x.j - y.j);
  // top[leaf] = current group node of that leaf (Kruskal with explicit group nodes)
  const group = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (group[i] === i ? i : (group[i] = find(group[i])));
  const nodeOf = Array.from({ length: n }, (_, i) => i);
  const merges: DisconnectivityTree["merges"] = [];
  for (const { i, j, b } of edges) {
    const gi = find(i), gj = find(j);
    if (gi === gj) continue;
    const a = nodeOf[gi], c = nodeOf[gj];
    // a merge is never below its children (the path maximum starts at a minimum)
    const energy = Math.max(b, nodes[a].energy, nodes[c].energy);
    const children: [number, number] = nodes[a].lowest < nodes[c].lowest || (nodes[a].lowest === nodes[c].lowest && a < c) ? [a, c] : [c, a];
    const basins = [...nodes[a].basins, ...nodes[c].basins].sort((x, y) => x - y);
    const node: TreeNode = { node: nodes.length, energy, basins, lowest: Math.min(nodes[a].lowest, nodes[c].lowest), children };
    nodes.push(node);
    merges.push({ node: node.node, children, energy });
    group[gj] = gi;
    nodeOf[gi] = node.node;
  }
  const roots = [...new Set(Array.from({ length: n }, (_, i) => nodeOf[find(i)]))].sort((x, y) => x - y);
  return { nodes, merges, roots };
}
