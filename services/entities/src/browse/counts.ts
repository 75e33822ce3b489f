import type { GraphStore } from '@mandant/shared/stores/graph';

/** The shape of the project context's `EntityCounts` port (this package does not depend on project). */
export interface ProjectEntityCounts {
  distinct(tenantId: string, projectIds: readonly string[]): Promise<Map<string, number>>;
}

/** The most entities counted per project: the graph port lists entities but has no count. */
export const MAX_COUNTED_ENTITIES = 10_000;

/**
 * The project context's `EntityCounts`, over the entity graph: for each project, the distinct
 * entities (merged ones once) that the documents linked to it mention, as its entity list
 * (`GET /projects/{id}/entities`) holds them. Known limit: one graph read per project, and a
 * project with more than `MAX_COUNTED_ENTITIES` entities is counted as that many.
 */
export const entityCounts = (graph: GraphStore): ProjectEntityCounts => ({
  async distinct(tenantId, projectIds) {
    const counted = await Promise.all(
      [...new Set(projectIds.map((id) => id.toLowerCase()))].map(
        async (id) => [id, (await graph.entitiesInProject(tenantId, id, { limit: MAX_COUNTED_ENTITIES })).length] as const,
      ),
    );
    return new Map(counted);
  },
});
