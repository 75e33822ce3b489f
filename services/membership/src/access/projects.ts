import type { ProjectView } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';

/** A project's names and lifecycle status, as membership shows them (`/me/projects`). */
export interface ProjectListing {
  id: string;
  name: string;
  slug: string;
  status: 'active' | 'archived';
}

/**
 * What the access checks read of a project, which the project context owns (`projects_view`):
 * the project package depends on this one (access checks, the creator's role), so it cannot be
 * imported here; callers pass in the implementation project exports (`projectLookup`). Runs
 * inside the caller's `withTenant` transaction for `tenantId`.
 */
export interface ProjectLookup {
  /** the project's lifecycle status; null when the tenant has no such project */
  status(tx: Tx, tenantId: string, projectId: string): Promise<'active' | 'archived' | null>;
}

/**
 * What membership's own handlers read of projects (`/me/projects`, the project switch): given to
 * the membership service by the composition (project's `projectDirectory`). Every call runs
 * inside the caller's `withTenant` transaction for `tenantId`.
 */
export interface ProjectDirectory extends ProjectLookup {
  /** the projects of `projectIds` that exist, keyed by id (lower case) */
  summaries(tx: Tx, tenantId: string, projectIds: readonly string[]): Promise<Map<string, ProjectListing>>;
  /** the project as the API shows it; a missing one is a 404 */
  view(tx: Tx, tenantId: string, projectId: string): Promise<ProjectView>;
  /** project's archived-project rule for a member's profile (content of the project): the early, view-based check */
  requireWritable(write: 'member.profile', projectId: string, status: 'active' | 'archived'): void;
  /** the same rule inside the append's transaction, against the log */
  guardContentWrite(tx: Tx, tenantId: string, write: 'member.profile', projectIds: string[]): Promise<void>;
}
