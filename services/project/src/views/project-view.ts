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

/** A row of `projects_view` with the number of documents the project links. */
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

/** Rows of projects_view as the API shows them, with their document counts. */
export async function withDocumentCounts(
  tx: Tx,
  documents: DocumentCounts,
  tenantId: string,
  rows: readonly ProjectRow[],
): Promise<CountedProjectRow[]> {
  const counts = await documents.linked(
    tx,
    tenantId,
    rows.map((r) => r.project_id),
  );
  return rows.map((r) => ({ ...r, document_count: counts.get(r.project_id.toLowerCase()) ?? 0 }));
}

export async function loadProjectView(tx: Tx, tenantId: string, projectId: string, documents: DocumentCounts): Promise<ProjectView> {
  const rows = await tx<ProjectRow[]>`select * from projects_view where tenant_id = ${tenantId} and project_id = ${projectId}`;
  const [row] = await withDocumentCounts(tx, documents, tenantId, rows);
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
