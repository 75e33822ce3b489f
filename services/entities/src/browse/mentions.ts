import type { EntitySummary, GraphStore } from '@mandant/shared/stores/graph';

/** Mentions of an entity in a scope: in the text of distinct documents, each counted once. */
export interface MentionTotal {
  mentions: number;
  documents: number;
}

const PAGE = 1000;

/**
 * The entities' mentions in the scope's documents, each document once however many of the
 * scope's projects it is linked to: the meaning `mentions` has in every entity route. The
 * graph's per-project appearances sum over projects (a document linked to two projects counts
 * in both), so totals are read from `searchEntities`, which counts documents: first one page of
 * the scope's most mentioned entities, then, for an entity not on it, a search by its own name
 * (which its aliases contain) until its id turns up. `projectIds` as `searchEntities` takes it:
 * undefined for the whole tenant. An entity the scope's documents no longer mention gets 0.
 * Known cost: one query, plus one per entity outside the scope's top `PAGE`.
 */
export async function mentionTotals(
  graph: GraphStore,
  tenantId: string,
  projectIds: readonly string[] | undefined,
  entities: readonly EntitySummary[],
): Promise<Map<string, MentionTotal>> {
  const totals = new Map<string, MentionTotal>();
  if (entities.length === 0) return totals;
  const wanted = new Set(entities.map((e) => e.id));
  for (const m of await graph.searchEntities(tenantId, { projectIds, limit: PAGE })) {
    if (wanted.has(m.id)) totals.set(m.id, { mentions: m.mentions, documents: m.documents });
  }
  for (const e of entities) {
    if (totals.has(e.id)) continue;
    totals.set(e.id, await byName(graph, tenantId, projectIds, e));
  }
  return totals;
}

async function byName(
  graph: GraphStore,
  tenantId: string,
  projectIds: readonly string[] | undefined,
  e: EntitySummary,
): Promise<MentionTotal> {
  for (let offset = 0; ; offset += PAGE) {
    const page = await graph.searchEntities(tenantId, { projectIds, query: e.name, type: e.type, limit: PAGE, offset });
    const found = page.find((m) => m.id === e.id);
    if (found) return { mentions: found.mentions, documents: found.documents };
    if (page.length < PAGE) return { mentions: 0, documents: 0 };
  }
}
