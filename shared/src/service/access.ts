import type { Principal, ProjectRole } from '@mandant/contracts';
import { roleAtLeast } from '@mandant/contracts';
import type { Tx } from '../db/connect.ts';
import { DomainError, forbidden, notFound } from '../errors.ts';

export interface ProjectAccess {
  status: 'active' | 'archived';
  /** the caller's role; tenant admins act as project admins everywhere in their tenant */
  role: ProjectRole;
}

export function requirePrincipal(p: Principal | null): Principal {
  if (!p) throw new DomainError('unauthenticated', 'authentication required');
  return p;
}

export function requireTenantAdmin(p: Principal | null): Principal {
  const principal = requirePrincipal(p);
  if (principal.tenant_role !== 'tenant_admin') throw forbidden('tenant admin role required');
  return principal;
}

export function requireUser(p: Principal | null): Principal & { user_id: string } {
  const principal = requirePrincipal(p);
  if (!principal.user_id) throw forbidden('this action needs a user, not a tenant-level key');
  return principal as Principal & { user_id: string };
}

/**
 * The caller's access to a project, read inside the tenant's transaction. A project the caller
 * may not see is reported exactly like one that does not exist (404), inside the tenant as
 * across tenants; a visible project with too low a role is a 403.
 */
export async function requireProjectRole(tx: Tx, p: Principal | null, projectId: string, needed: ProjectRole): Promise<ProjectAccess> {
  const principal = requirePrincipal(p);
  if (principal.tenant_role === 'auditor') throw forbidden('auditors read the event log only');
  const [row] = await tx<{ status: 'active' | 'archived'; role: ProjectRole | null }[]>`
    select pv.status, m.role from projects_view pv
    left join members_view m on m.tenant_id = pv.tenant_id and m.project_id = pv.project_id and m.user_id = ${principal.user_id}
    where pv.tenant_id = ${principal.tenant_id} and pv.project_id = ${projectId}`;
  if (!row) throw notFound('project');
  const role: ProjectRole | null = principal.tenant_role === 'tenant_admin' ? 'admin' : row.role;
  if (!role) throw notFound('project');
  if (!roleAtLeast(role, needed)) throw forbidden(`${needed} role required in this project`);
  return { status: row.status, role };
}
