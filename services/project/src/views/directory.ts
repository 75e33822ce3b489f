import type { Tx } from '@mandant/shared/db';

/** What other contexts show of a project: its names and lifecycle status. */
export interface ProjectSummary {
  id: string;
  name: string;
  slug: string;
  description: string;
  status: 'active' | 'archived';
}

/**
 * The projects of `projectIds` that exist, keyed by id (lower case): how other contexts read
 * project names and statuses instead of querying `projects_view` themselves. Run inside
 * `withTenant` for `tenantId`.
 */
export async function projectSummaries(tx: Tx, tenantId: string, projectIds: readonly string[]): Promise<Map<string, ProjectSummary>> {
  if (projectIds.length === 0) return new Map();
  const rows = await tx<{ project_id: string; name: string; slug: string; description: string | null; status: 'active' | 'archived' }[]>`
    select project_id, name, slug, description, status from projects_view
    where tenant_id = ${tenantId} and project_id = any(${projectIds.map((id) => id.toLowerCase())}::uuid[]) order by project_id`;
  return new Map(rows.map((r) => [r.project_id, { id: r.project_id, name: r.name, slug: r.slug, description: r.description ?? '', status: r.status }]));
}
