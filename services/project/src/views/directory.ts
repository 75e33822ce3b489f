import type { ProjectDirectory, ProjectLookup } from '@mandant/membership';
import type { Tx } from '@mandant/shared/db';
import { guardContentWrite, requireWritable } from '../project/writes.ts';
import { type DocumentCounts, type EntityCounts, loadProjectView } from './project-view.ts';

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
  return new Map(
    rows.map((r) => [r.project_id, { id: r.project_id, name: r.name, slug: r.slug, description: r.description ?? '', status: r.status }]),
  );
}

/** The project's lifecycle status, null when the tenant has no such project. Run inside `withTenant` for `tenantId`. */
export async function projectStatus(tx: Tx, tenantId: string, projectId: string): Promise<'active' | 'archived' | null> {
  const [row] = await tx<
    { status: 'active' | 'archived' }[]
  >`select status from projects_view where tenant_id = ${tenantId} and project_id = ${projectId}`;
  return row?.status ?? null;
}

/** What the access checks (membership's `requireProjectRole`) read of a project. */
export const projectLookup: ProjectLookup = { status: projectStatus };

/** What membership's handlers read of projects (`/me/projects`, the project switch): given to it by the composition. */
export const projectDirectory = (documents: DocumentCounts, entities?: EntityCounts): ProjectDirectory => ({
  status: projectStatus,
  summaries: projectSummaries,
  view: (tx, tenantId, projectId) => loadProjectView(tx, tenantId, projectId, documents, entities),
  requireWritable,
  guardContentWrite,
});
