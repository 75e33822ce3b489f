import { byString, clampInt, evidenceScope } from './model.ts';
import type { EntitySummary, Neighbourhood, NeighbourhoodOptions, RelationEdge } from './port.ts';

/** The two reads an adapter provides; the walk itself is shared so every adapter ranks alike. */
export interface NeighbourReads {
  /** the entities among `ids` that exist */
  entities(ids: readonly string[]): Promise<EntitySummary[]>;
  /** RELATED_TO edges touching any of `ids`, aggregated per pair; evidence limited to documents linked to any of `projects` when not null */
  edges(ids: readonly string[], projects: readonly string[] | null): Promise<RelationEdge[]>;
}

export const MAX_DEPTH = 3;
export const MAX_NODES = 500;

/**
 * Breadth-first walk, one read per hop (at most MAX_DEPTH + 2 reads). Within a hop, candidates
 * are ranked by their strongest link into the previous hop, then by id, and cut at the limit,
 * so the result is bounded and deterministic however dense the graph is.
 */
export async function walkNeighbourhood(
  reads: NeighbourReads,
  entityId: string,
  options: NeighbourhoodOptions = {},
): Promise<Neighbourhood> {
  const depth = clampInt(options.depth, 1, 1, MAX_DEPTH);
  const limit = clampInt(options.limit, 50, 1, MAX_NODES);
  const projects = evidenceScope(options);
  const [start] = await reads.entities([entityId]);
  if (start === undefined) return { nodes: [], edges: [] };

  const depthOf = new Map<string, number>([[start.id, 0]]);
  const order: string[] = [start.id];
  let frontier = [start.id];
  for (let hop = 1; hop <= depth && frontier.length > 0 && order.length < limit; hop++) {
    const inFrontier = new Set(frontier);
    const best = new Map<string, number>();
    for (const e of await reads.edges(frontier, projects)) {
      for (const [near, far] of [
        [e.a, e.b],
        [e.b, e.a],
      ] as const) {
        if (!inFrontier.has(near) || depthOf.has(far)) continue;
        best.set(far, Math.max(best.get(far) ?? 0, e.confidence));
      }
    }
    const ranked = [...best].sort(([x, cx], [y, cy]) => cy - cx || byString(x, y)).slice(0, limit - order.length);
    frontier = ranked.map(([id]) => id);
    for (const id of frontier) {
      depthOf.set(id, hop);
      order.push(id);
    }
  }

  const summaries = new Map((await reads.entities(order)).map((e) => [e.id, e] as const));
  const nodes = order.flatMap((id) => {
    const e = summaries.get(id);
    return e ? [{ ...e, depth: depthOf.get(id) ?? 0 }] : [];
  });
  const kept = new Set(nodes.map((n) => n.id));
  const edges = order.length > 1 ? (await reads.edges(order, projects)).filter((e) => kept.has(e.a) && kept.has(e.b)) : [];
  edges.sort((x, y) => byString(x.a, y.a) || byString(x.b, y.b));
  return { nodes, edges };
}
