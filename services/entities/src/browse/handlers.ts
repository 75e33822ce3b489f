import { CrossProjectInput, EntityIdInput, type EntityView, ListEntitiesInput, rpc } from '@mandant/contracts';
import type { RpcHandler } from '@mandant/shared/rpc';
import type { EntityDeps } from '../service.ts';
import { readScope, requireProjectViewer, revealsHiddenCounts, visibleEntity } from '../access.ts';

/**
 * Reading entities: a project's (viewer), the caller's readable projects' (tenant admins: the
 * whole tenant), one entity, and those shared across projects. Every count and project list is
 * computed over readable projects only; projects the caller cannot open are never named, and
 * counted only where the tenant opted in (`reveal_hidden_project_counts`).
 */
export function browseHandlers(deps: EntityDeps): Record<string, RpcHandler> {
  const { sql, stores } = deps;
  const { graph } = stores;

  return {
    async [rpc.entityList](input, ctx) {
      const q = ListEntitiesInput.parse(input ?? {});
      let projectIds: string[] | undefined;
      let tenantId: string;
      if (q.project_id !== undefined) {
        tenantId = (await requireProjectViewer(sql, deps.projects, ctx, q.project_id)).tenant_id;
        projectIds = [q.project_id];
      } else {
        const scope = await readScope(sql, ctx);
        tenantId = scope.principal.tenant_id;
        projectIds = scope.projects ?? undefined;
      }
      // one more than asked tells whether another page exists
      const found = await graph.searchEntities(tenantId, {
        projectIds,
        query: q.query,
        type: q.type,
        limit: q.limit + 1,
        offset: q.offset,
      });
      return {
        scope: q.project_id === undefined ? 'global' : 'project',
        entities: found.slice(0, q.limit),
        next_offset: found.length > q.limit ? q.offset + q.limit : null,
      };
    },

    async [rpc.entityGet](input, ctx): Promise<EntityView> {
      const { entity_id } = EntityIdInput.parse(input);
      const scope = await readScope(sql, ctx);
      const { entity, projects, readable } = await visibleEntity(graph, scope, entity_id);
      const view: EntityView = {
        id: entity.id,
        name: entity.name,
        type: entity.type,
        aliases: entity.aliases,
        projects: readable.map((p) => ({ project_id: p.project_id, mentions: p.mentions, documents: p.documents })),
        mentions: readable.reduce((n, p) => n + p.mentions, 0),
      };
      if (await revealsHiddenCounts(sql, scope.principal.tenant_id)) view.hidden_projects = projects.length - readable.length;
      return view;
    },

    async [rpc.entityCrossProject](input, ctx) {
      const q = CrossProjectInput.parse(input ?? {});
      const scope = await readScope(sql, ctx);
      const entities = await graph.crossProjectEntities(scope.principal.tenant_id, {
        minProjects: q.min_projects,
        limit: q.limit,
        projectIds: scope.projects ?? undefined,
      });
      return { entities };
    },
  };
}
