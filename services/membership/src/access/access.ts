import type { Principal, ProjectRole } from '@mandant/contracts';
import { roleAtLeast } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { DomainError, forbidden, notFound } from '@mandant/shared/errors';

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
 * across tenants; a visible project with too low a role is a 403. Known limit: the project's
 * existence and status are still read from the project context's `projects_view` here (project
 * depends on this module, so it cannot be asked through its own exports without a cycle).
 */
export async function requireProjectRole(tx: Tx, p: Principal | null, projectId: string, needed: ProjectRole): Promise<ProjectAccess> {
  const principal = requireReader(p);
  const [row] = await tx<{ status: 'active' | 'archived'; role: ProjectRole | null }[]>`
    select pv.status, m.role from projects_view pv
    left join members_view m on m.tenant_id = pv.tenant_id and m.project_id = pv.project_id and m.user_id = ${principal.user_id}
    where pv.tenant_id = ${principal.tenant_id} and pv.project_id = ${projectId}`;
  if (!row) throw notFound('project');
  const role: ProjectRole | null = isTenantAdmin(principal) ? 'admin' : row.role;
  if (!role) throw notFound('project');
  if (!roleAtLeast(role, needed)) throw forbidden(`${needed} role required in this project`);
  return { status: row.status, role };
}
