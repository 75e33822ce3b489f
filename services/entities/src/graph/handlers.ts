import { GraphInput, type GraphView, NeighbourhoodInput, rpc } from '@mandant/contracts';
import { notFound } from '@mandant/shared/errors';
import type { RpcHandler } from '@mandant/shared/rpc';
import type { GraphDrawing, Neighbourhood, RelationEdge } from '@mandant/shared/stores/graph';
import type { EntityDeps } from '../service.ts';
import { readScope, requireProjectViewer, visibleEntity } from '../access.ts';

const edgeView = (e: RelationEdge): GraphView['edges'][number] => ({ source: e.a, target: e.b, kind: 'RELATED_TO', weight: e.confidence });

/** Entity nodes sized by mentions in the scope, RELATED_TO edges weighted by confidence. */
export function drawingView(g: GraphDrawing): GraphView {
  return {
    nodes: g.entities.map((e) => ({ id: e.id, label: e.name, kind: 'entity', type: e.type, weight: e.mentions })),
    edges: g.edges.map(edgeView),
    truncated: g.truncated,
  };
}

/** The start first, then by hop; node weight is the hop's closeness (1 for the start, 1/(1+depth) beyond). */
export function neighbourhoodView(n: Neighbourhood, limit: number): GraphView {
  return {
    nodes: n.nodes.map((e) => ({ id: e.id, label: e.name, kind: 'entity', type: e.type, weight: 1 / (1 + e.depth) })),
    edges: n.edges.map(edgeView),
    // the walk stops at the limit: reaching it means more may lie beyond
    truncated: n.nodes.length >= limit,
  };
}

/**
 * Graphs for drawing, bounded: a project's (viewer) or every readable project's, and an
 * entity's neighbourhood. Only relations with an evidence document in a readable project (on a
 * project route: in that project) count, so no edge reveals what a hidden project holds.
 */
export function graphHandlers(deps: EntityDeps): Record<string, RpcHandler> {
  const { sql, stores } = deps;
  const { graph } = stores;

  return {
    async [rpc.graphGet](input, ctx) {
      const q = GraphInput.parse(input ?? {});
      if (q.project_id !== undefined) {
        const p = await requireProjectViewer(sql, deps.projects, ctx, q.project_id);
        return drawingView(await graph.graph(p.tenant_id, { projectIds: [q.project_id], limit: q.limit }));
      }
      const scope = await readScope(sql, ctx);
      return drawingView(await graph.graph(scope.principal.tenant_id, { projectIds: scope.projects ?? undefined, limit: q.limit }));
    },

    async [rpc.entityNeighbourhood](input, ctx) {
      const q = NeighbourhoodInput.parse(input ?? {});
      if (q.project_id !== undefined) await requireProjectViewer(sql, deps.projects, ctx, q.project_id);
      const scope = await readScope(sql, ctx);
      const { entity, projects } = await visibleEntity(graph, scope, q.entity_id);
      if (q.project_id !== undefined && !projects.some((p) => p.project_id === q.project_id?.toLowerCase())) throw notFound('entity');
      const n = await graph.neighbourhood(scope.principal.tenant_id, entity.id, {
        depth: q.depth,
        limit: q.limit,
        projectId: q.project_id,
        projectIds: scope.projects ?? undefined,
      });
      return neighbourhoodView(n, q.limit);
    },
  };
}
