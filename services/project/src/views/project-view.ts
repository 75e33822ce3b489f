import type { ProjectView } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { notFound } from '@mandant/shared/errors';

/** A row of `projects_view`. */
export interface ProjectRow {
  project_id: string;
  name: string;
  slug: string;
  description: ProjectView['description'];
  settings: ProjectView['settings'];
  status: ProjectView['status'];
  created_at: Date;
  entity_count: number;
  member_count: number;
  last_activity_at: Date;
}

/** A row of `projects_view` with the numbers of documents the project links and of entities they mention. */
export type CountedProjectRow = ProjectRow & { document_count: number };

export function toProjectView(r: CountedProjectRow): ProjectView {
  return {
    id: r.project_id,
    name: r.name,
    slug: r.slug,
    description: r.description,
    settings: r.settings,
    status: r.status,
    created_at: r.created_at.toISOString(),
    stats: {
      documents: r.document_count,
      entities: r.entity_count,
      members: r.member_count,
      last_activity_at: r.last_activity_at.toISOString(),
    },
  };
}

/**
 * How many documents each project links: the documents context's data (`document_links_view`),
 * which depends on this package, so the composition passes in its `documentCounts`. Keyed by
 * project id (lower case); a project without documents may be missing. Runs inside the
 * caller's `withTenant` transaction for `tenantId`.
 */
export interface DocumentCounts {
  linked(tx: Tx, tenantId: string, projectIds: readonly string[]): Promise<Map<string, number>>;
}

/**
 * How many distinct entities the documents linked to each project mention (an entity merged
 * into another counts once): the entity graph's data, which the entities context reads and which
 * depends on this package, so the composition passes in its `entityCounts`. Keyed by project id
 * (lower case); a project without entities may be missing. Not transactional: the graph is its
 * own store.
 */
export interface EntityCounts {
  distinct(tenantId: string, projectIds: readonly string[]): Promise<Map<string, number>>;
}

/**
 * Rows of projects_view as the API shows them, with their document counts and, given `entities`,
 * their entity counts (without it, the row's own `entity_count`, which nothing keeps: 0).
 */
export async function withDocumentCounts(
  tx: Tx,
  documents: DocumentCounts,
  tenantId: string,
  rows: readonly ProjectRow[],
  entities?: EntityCounts,
): Promise<CountedProjectRow[]> {
  const ids = rows.map((r) => r.project_id);
  const [counts, entityCounts] = await Promise.all([
    documents.linked(tx, tenantId, ids),
    entities && ids.length > 0 ? entities.distinct(tenantId, ids) : Promise.resolve(null),
  ]);
  return rows.map((r) => {
    const id = r.project_id.toLowerCase();
    return { ...r, document_count: counts.get(id) ?? 0, entity_count: entityCounts ? (entityCounts.get(id) ?? 0) : r.entity_count };
  });
}

export async function loadProjectView(
  tx: Tx,
  tenantId: string,
  projectId: string,
  documents: DocumentCounts,
  entities?: EntityCounts,
): Promise<ProjectView> {
  const rows = await tx<ProjectRow[]>`select * from projects_view where tenant_id = ${tenantId} and project_id = ${projectId}`;
  const [row] = await withDocumentCounts(tx, documents, tenantId, rows, entities);
  if (!row) throw notFound('project');
  return toProjectView(row);
}

/** A URL-safe slug from a free-text name; a fallback keeps it valid for names without letters. */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return s.length >= 2 ? s : `project-${s || 'x'}`;
}
