import type { Principal, ProjectRole } from '@mandant/contracts';
import { roleAtLeast } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { DomainError, forbidden, notFound } from '@mandant/shared/errors';
import type { ProjectLookup } from './projects.ts';

/**
 * Who may do what, in one place: every context asks these functions (in-process, inside its own
 * tenant transaction) instead of reading the membership tables itself. Tenant roles come with
 * the principal; project roles are membership's own data (`members_view`).
 */

export interface ProjectAccess {
  status: 'active' | 'archived';
  /** the caller's role; tenant admins act as project admins everywhere in their tenant */
  role: ProjectRole;
}

export const isTenantAdmin = (p: Principal): boolean => p.tenant_role === 'tenant_admin';

export function requirePrincipal(p: Principal | null): Principal {
  if (!p) throw new DomainError('unauthenticated', 'authentication required');
  return p;
}

export function requireTenantAdmin(p: Principal | null): Principal {
  const principal = requirePrincipal(p);
  if (!isTenantAdmin(principal)) throw forbidden('tenant admin role required');
  return principal;
}

export function requireUser(p: Principal | null): Principal & { user_id: string } {
  const principal = requirePrincipal(p);
  if (!principal.user_id) throw forbidden('this action needs a user, not a tenant-level key');
  return principal as Principal & { user_id: string };
}

/** Reads of the tenant's content (projects, documents, graph, search, chat): auditors read the event log only. */
export function requireReader(p: Principal | null): Principal {
  const principal = requirePrincipal(p);
  if (principal.tenant_role === 'auditor') throw forbidden('auditors read the event log only');
  return principal;
}

/** Oversight (the event log, usage): tenant admins and auditors. `what` names the refused read. */
export function requireOversight(p: Principal | null, refusal = 'tenant admin or auditor role required'): Principal {
  const principal = requirePrincipal(p);
  if (!isTenantAdmin(principal) && principal.tenant_role !== 'auditor') throw forbidden(refusal);
  return principal;
}

/**
 * Content written on someone's behalf (documents, conversations): a reader who is a user, or a
 * tenant admin; other tenant-level keys hold no user to act as. `what` names the action in the refusal.
 */
export function requireActor(p: Principal | null, what = 'this action'): Principal {
  const principal = requireReader(p);
  if (!principal.user_id && !isTenantAdmin(principal)) throw forbidden(`${what} needs a user or a tenant admin`);
  return principal;
}

/** The projects the caller is a member of, with the role there (none for tenant-level keys). */
export async function memberRoles(tx: Tx, p: Principal): Promise<Map<string, ProjectRole>> {
  if (!p.user_id) return new Map();
  const rows = await tx<{ project_id: string; role: ProjectRole }[]>`
    select project_id, role from members_view where tenant_id = ${p.tenant_id} and user_id = ${p.user_id} order by project_id`;
  return new Map(rows.map((r) => [r.project_id.toLowerCase(), r.role]));
}

/**
 * The projects whose content the caller reads: null for a tenant admin (every project of the
 * tenant, no filter), else the member projects with their role (possibly none).
 */
export async function readableProjects(tx: Tx, p: Principal): Promise<Map<string, ProjectRole> | null> {
  return isTenantAdmin(p) ? null : memberRoles(tx, p);
}

/**
 * The caller's access to a project, read inside the tenant's transaction. A project the caller
 * may not see is reported exactly like one that does not exist (404), inside the tenant as
 * across tenants; a visible project with too low a role is a 403. The project's existence and
 * status are the project context's: read through `projects` (its `projectLookup`).
 */
export async function requireProjectRole(
  tx: Tx,
  projects: ProjectLookup,
  p: Principal | null,
  projectId: string,
  needed: ProjectRole,
): Promise<ProjectAccess> {
  const principal = requireReader(p);
  const status = await projects.status(tx, principal.tenant_id, projectId);
  if (!status) throw notFound('project');
  const role: ProjectRole | null = isTenantAdmin(principal) ? 'admin' : await memberRole(tx, principal, projectId);
  if (!role) throw notFound('project');
  if (!roleAtLeast(role, needed)) throw forbidden(`${needed} role required in this project`);
  return { status, role };
}

async function memberRole(tx: Tx, p: Principal, projectId: string): Promise<ProjectRole | null> {
  if (!p.user_id) return null;
  const [row] = await tx<{ role: ProjectRole }[]>`
    select role from members_view where tenant_id = ${p.tenant_id} and project_id = ${projectId} and user_id = ${p.user_id}`;
  return row?.role ?? null;
}
