import { CrossProjectInput, EntityIdInput, type EntityView, ListEntitiesInput, rpc } from '@mandant/contracts';
import type { RpcHandler } from '@mandant/shared/rpc';
import type { EntityDeps } from '../service.ts';
import { readScope, requireProjectViewer, revealsHiddenCounts, visibleEntity } from '../access.ts';
import { mentionTotals } from './mentions.ts';

/**
 * Reading entities: a project's (viewer), the caller's readable projects' (tenant admins: the
 * whole tenant), one entity, and those shared across projects. Every count and project list is
 * computed over readable projects only; projects the caller cannot open are never named, and
 * counted only where the tenant opted in (`reveal_hidden_project_counts`).
 *
 * `mentions` means one thing on every route: mentions in the text of distinct documents of the
 * scope, a document linked to several projects counted once (see `mentionTotals`). Only the
 * per-project breakdown of one entity (`projects[].mentions`) counts per project.
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
      const tenantId = scope.principal.tenant_id;
      // the scope `GET /entities` lists over: every document for tenant admins, else the readable projects'
      const totals = await mentionTotals(graph, tenantId, scope.projects ?? undefined, [entity]);
      const view: EntityView = {
        id: entity.id,
        name: entity.name,
        type: entity.type,
        aliases: entity.aliases,
        projects: readable.map((p) => ({ project_id: p.project_id, mentions: p.mentions, documents: p.documents })),
        mentions: totals.get(entity.id)?.mentions ?? 0,
        documents: totals.get(entity.id)?.documents ?? 0,
      };
      if (await revealsHiddenCounts(sql, scope.principal.tenant_id)) view.hidden_projects = projects.length - readable.length;
      return view;
    },

    async [rpc.entityCrossProject](input, ctx) {
      const q = CrossProjectInput.parse(input ?? {});
      const scope = await readScope(sql, ctx);
      const tenantId = scope.principal.tenant_id;
      const projectIds = scope.projects ?? undefined;
      const shared = await graph.crossProjectEntities(tenantId, { minProjects: q.min_projects, limit: q.limit, projectIds });
      const totals = await mentionTotals(graph, tenantId, projectIds, shared);
      const entities = shared
        .map((e) => ({ ...e, mentions: totals.get(e.id)?.mentions ?? 0, documents: totals.get(e.id)?.documents ?? 0 }))
        // most shared first, then most mentioned (documents once), then id: as the store ranks, on the counts shown
        .sort((a, b) => b.project_ids.length - a.project_ids.length || b.mentions - a.mentions || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { entities };
    },
  };
}
