import type { Grant, Principal } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { isTenantAdmin, memberRoles, requireProjectRole, requireReader } from '@mandant/membership';
import { embeddingCoverage } from '@mandant/documents';
import { type ModelServing, type ServingMemo, projectLookup, servingModel } from '@mandant/project';

/**
 * Who may search what. Project scope needs the viewer role in the project (a project the caller
 * cannot see is a 404, auditors get 403). The global view is the whole tenant for tenant admins
 * (no project filter, so unassigned documents show too) and the caller's member projects for
 * everyone else (none: finds nothing).
 */
export interface SearchScope {
  scope: 'project' | 'global';
  /** the project searched (project scope), else null */
  projectId: string | null;
  /** the project filter passed to every store call; undefined only for a tenant admin's global view */
  projectIds: string[] | undefined;
  /** the projects a hit may name; null: every project of the tenant (tenant admin) */
  readable: ReadonlySet<string> | null;
  grant: Grant;
  /**
   * the embedding model searched: the project's in project scope, else the tenant's; while the
   * scope changes model, the previous one until every processed document has the new one
   */
  model: string;
  /** the model the settings ask for, and how many of the scope's processed documents have it */
  serving: ModelServing;
}

/** The scope's model as search uses it now: the desired one once complete, else the one before. */
async function modelOf(
  tx: Tx,
  tenantId: string,
  projectId: string | null,
  defaultModel: string,
  resolve: (model: string) => string | null,
  memo: ServingMemo | undefined,
): Promise<Pick<SearchScope, 'model' | 'serving'>> {
  const serving = await servingModel(tx, tenantId, projectId, defaultModel, {
    coverage: embeddingCoverage,
    resolve,
    ...(memo === undefined ? {} : { memo }),
  });
  return { model: serving.model, serving };
}

/**
 * Resolves the caller's scope inside the tenant's transaction; throws 404/403 as the access rules
 * say. `resolve` names a model as its embeddings record it (null: not served here), so a scope
 * never switches to a model it cannot query; `memo` (the service's `servingMemo()`) spares the
 * coverage read, which touches every document of the scope, while no model change is under way.
 */
export async function resolveScope(
  tx: Tx,
  principal: Principal | null,
  projectId: string | undefined,
  defaultModel: string,
  resolve: (model: string) => string | null = (m) => m,
  memo?: ServingMemo,
): Promise<SearchScope> {
  const p = requireReader(principal);
  const admin = isTenantAdmin(p);

  if (projectId !== undefined) {
    const id = projectId.toLowerCase();
    const access = await requireProjectRole(tx, projectLookup, p, id, 'viewer');
    const members = admin ? null : await memberRoles(tx, p);
    return {
      scope: 'project',
      projectId: id,
      projectIds: [id],
      readable: members ? new Set(members.keys()) : null,
      grant: { tenant_role: p.tenant_role, project_roles: { [id]: access.role } },
      ...(await modelOf(tx, p.tenant_id, id, defaultModel, resolve, memo)),
    };
  }

  // the global index is the tenant's, whichever of its projects the caller may read
  const model = await modelOf(tx, p.tenant_id, null, defaultModel, resolve, memo);
  if (admin) {
    // the tenant role is the grant: a tenant admin acts as admin in every project, listing them adds nothing
    return {
      scope: 'global',
      projectId: null,
      projectIds: undefined,
      readable: null,
      grant: { tenant_role: p.tenant_role, project_roles: {} },
      ...model,
    };
  }
  const members = await memberRoles(tx, p);
  return {
    scope: 'global',
    projectId: null,
    projectIds: [...members.keys()],
    readable: new Set(members.keys()),
    grant: { tenant_role: p.tenant_role, project_roles: Object.fromEntries(members) },
    ...model,
  };
}
