import type { Principal } from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '@mandant/shared/db';
import { notFound } from '@mandant/shared/errors';
import type { RpcContext } from '@mandant/shared/rpc';
import { tenantSettings } from '@mandant/tenant';
import {
  type ProjectLookup,
  isTenantAdmin,
  memberRoles,
  requireProjectRole,
  requireReader as requireContentReader,
} from '@mandant/membership';
import type { EntityDetail, EntityProject, GraphStore } from '@mandant/shared/stores/graph';

/**
 * What a caller may read of the graph: tenant admins the whole tenant (`projects` null, which
 * stores read as "no project filter"); everyone else the projects they are members of, with
 * their role there. Auditors read the event log only.
 */
export interface ReadScope {
  principal: Principal;
  admin: boolean;
  /** project id → the caller's role; empty for tenant admins (they may read every project) */
  roles: Map<string, string>;
  /** the store filter: null for tenant admins, else the member projects (possibly none) */
  projects: string[] | null;
}

export const requireReader = (ctx: RpcContext): Principal => requireContentReader(ctx.principal);

export async function readScope(sql: Sql, ctx: RpcContext): Promise<ReadScope> {
  const principal = requireReader(ctx);
  const admin = isTenantAdmin(principal);
  if (admin) return { principal, admin, roles: new Map(), projects: null };
  const roles: Map<string, string> = await withTenant(sql, principal.tenant_id, (tx) => memberRoles(tx, principal));
  return { principal, admin, roles, projects: [...roles.keys()].sort() };
}

export const canRead = (scope: ReadScope, projectId: string): boolean => scope.admin || scope.roles.has(projectId.toLowerCase());

/** A project route: viewer at least (404 for non-members, as for a missing project). */
export async function requireProjectViewer(sql: Sql, projects: ProjectLookup, ctx: RpcContext, projectId: string): Promise<Principal> {
  const p = requireReader(ctx);
  await withTenant(sql, p.tenant_id, (tx: Tx) => requireProjectRole(tx, projects, p, projectId, 'viewer'));
  return p;
}

export interface VisibleEntity {
  entity: EntityDetail;
  /** every project it appears in, readable or not */
  projects: EntityProject[];
  /** those the caller may read */
  readable: EntityProject[];
}

/**
 * An entity as the caller may see it. One that appears only in projects the caller cannot read
 * answers exactly like a missing one (404); tenant admins see every entity of the tenant.
 */
export async function visibleEntity(graph: GraphStore, scope: ReadScope, entityId: string): Promise<VisibleEntity> {
  const entity = await graph.entity(scope.principal.tenant_id, entityId);
  if (entity === null) throw notFound('entity');
  const projects = await graph.projectsOfEntity(scope.principal.tenant_id, entity.id);
  const readable = projects.filter((p) => canRead(scope, p.project_id));
  if (!scope.admin && readable.length === 0) throw notFound('entity');
  return { entity, projects, readable };
}

/** Whether the tenant lets members learn how many projects they cannot open hold an entity. */
export async function revealsHiddenCounts(sql: Sql, tenantId: string): Promise<boolean> {
  const settings = await withTenant(sql, tenantId, (tx) => tenantSettings(tx, tenantId));
  return settings['reveal_hidden_project_counts'] === true;
}
