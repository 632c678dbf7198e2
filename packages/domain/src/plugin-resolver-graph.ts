/**
 * The load order of plugins: dependencies before the plugins that need them.
 *
 * Cycles: a cycle made only of required dependencies has no valid load order and is refused (Bukkit
 * refuses the same with "circular dependency"). A cycle that goes through at least one optional
 * dependency is allowed, like Bukkit's `softdepend`: the optional edge is dropped for ordering, so both
 * plugins load and the one whose optional dependency was dropped simply loads first.
 */

/** `from` needs `to` (so `to` loads first). */
export interface DependencyEdge {
  from: string;
  to: string;
  optional: boolean;
}

export type LoadOrderResult =
  | { ok: true; order: string[] }
  /** `cycle` reads "cycle[0] requires cycle[1] requires … requires cycle[0]" (first id repeated). */
  | { ok: false; cycle: string[] };

/** Orders `nodes` so every dependency comes first; edges to plugins outside `nodes` are ignored. */
export function loadOrder(nodes: readonly string[], edges: readonly DependencyEdge[]): LoadOrderResult {
  const present = new Set(nodes);
  // One edge per pair; a pair that is both required and optional is required.
  const merged = new Map<string, DependencyEdge>();
  for (const edge of edges) {
    if (!present.has(edge.from) || !present.has(edge.to)) continue;
    const key = `${edge.from}\u0000${edge.to}`;
    const known = merged.get(key);
    merged.set(key, known ? { ...edge, optional: known.optional && edge.optional } : { ...edge });
  }
  let current = [...merged.values()];

  for (;;) {
    const cycle = findCycle([...present].sort(), current);
    if (!cycle) break;
    const optionalEdge = cycle.edges.find((e) => e.optional);
    if (!optionalEdge) return { ok: false, cycle: cycle.path };
    current = current.filter((e) => e !== optionalEdge);
  }
  return { ok: true, order: topologicalOrder([...present].sort(), current) };
}

function adjacency(edges: readonly DependencyEdge[]): Map<string, DependencyEdge[]> {
  const out = new Map<string, DependencyEdge[]>();
  for (const edge of edges) {
    const list = out.get(edge.from) ?? [];
    list.push(edge);
    out.set(edge.from, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  return out;
}

function findCycle(
  nodes: readonly string[],
  edges: readonly DependencyEdge[],
): { path: string[]; edges: DependencyEdge[] } | null {
  const next = adjacency(edges);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: DependencyEdge[] = [];

  const visit = (node: string): { path: string[]; edges: DependencyEdge[] } | null => {
    state.set(node, 'visiting');
    for (const edge of next.get(node) ?? []) {
      const seen = state.get(edge.to);
      if (seen === 'visiting') {
        // The cycle is the part of the stack from the edge leaving `edge.to`, closed by `edge`.
        const start = stack.findIndex((e) => e.from === edge.to);
        const cycleEdges = [...(start === -1 ? [] : stack.slice(start)), edge];
        return { path: [edge.to, ...cycleEdges.map((e) => e.to)], edges: cycleEdges };
      }
      if (seen === undefined) {
        stack.push(edge);
        const found = visit(edge.to);
        if (found) return found;
        stack.pop();
      }
    }
    state.set(node, 'done');
    return null;
  };

  for (const node of nodes) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

// Kahn's algorithm, taking the alphabetically first ready plugin so the order is deterministic.
function topologicalOrder(nodes: readonly string[], edges: readonly DependencyEdge[]): string[] {
  const missing = new Map<string, number>(nodes.map((n) => [n, 0]));
  const dependents = new Map<string, string[]>();
  for (const edge of edges) {
    missing.set(edge.from, (missing.get(edge.from) ?? 0) + 1);
    dependents.set(edge.to, [...(dependents.get(edge.to) ?? []), edge.from]);
  }
  const ready = nodes.filter((n) => missing.get(n) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort();
    const node = ready.shift()!;
    order.push(node);
    for (const dependent of dependents.get(node) ?? []) {
      const left = (missing.get(dependent) ?? 0) - 1;
      missing.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  return order;
}
