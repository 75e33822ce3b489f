import type { ProjectView } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { notFound } from '@mandant/shared/errors';

export type ProjectRow = Record<string, any>;

export function toProjectView(r: ProjectRow): ProjectView {
  return {
    id: r.project_id, name: r.name, slug: r.slug, description: r.description, settings: r.settings, status: r.status,
    created_at: r.created_at.toISOString(),
    stats: { documents: r.document_count, entities: r.entity_count, members: r.member_count, last_activity_at: r.last_activity_at.toISOString() },
  };
}

export async function loadProjectView(tx: Tx, tenantId: string, projectId: string): Promise<ProjectView> {
  const [row] = await tx`select pv.*, (select count(*)::int from document_links_view l where l.tenant_id = pv.tenant_id and l.project_id = pv.project_id) as document_count
    from projects_view pv where pv.tenant_id = ${tenantId} and pv.project_id = ${projectId}`;
  if (!row) throw notFound('project');
  return toProjectView(row);
}

/** A URL-safe slug from a free-text name; a fallback keeps it valid for names without letters. */
export function slugify(name: string): string {
  const s = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50).replace(/-+$/, '');
  return s.length >= 2 ? s : `project-${s || 'x'}`;
}
