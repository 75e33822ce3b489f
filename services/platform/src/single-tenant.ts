import { type Principal, type RpcReply, rpc as patterns } from '@mandant/contracts';
import type { Logger } from '@mandant/shared/log';
import type { RpcClient } from '@mandant/shared/rpc';

export interface SingleTenant {
  tenant_id: string;
  project_id: string;
  /** every request acts as this principal when auth is bypassed */
  principal: Principal;
}

const meta = { correlation_id: 'single-tenant-bootstrap', traceparent: null };

function unwrap<T>(r: RpcReply<T>): T {
  if (!r.ok) throw new Error(`single-tenant bootstrap: ${r.error.message}`);
  return r.value;
}

/**
 * Single-tenant mode: the tenant `local` and its project `default`, created on first start
 * through the same use cases as any other tenant. Safe when several processes start at once:
 * whoever loses the race for the slug finds the winner's tenant.
 */
export async function ensureSingleTenant(client: RpcClient, log: Logger): Promise<SingleTenant> {
  let tenantId: string | null = null;
  for (let attempt = 0; attempt < 3 && !tenantId; attempt++) {
    const found = await client.request<{ tenant_id: string }>(patterns.tenantResolveSlug, {
      principal: null,
      operator: true,
      meta,
      input: { slug: 'local' },
    });
    if (found.ok) tenantId = found.value.tenant_id;
    else {
      const made = await client.request<{ tenant: { id: string } }>(patterns.tenantProvision, {
        principal: null,
        operator: true,
        meta,
        input: { name: 'Local', slug: 'local' },
      });
      if (made.ok) tenantId = made.value.tenant.id;
      else if (made.error.code !== 'slug.taken') unwrap(made);
    }
  }
  if (!tenantId) throw new Error('single-tenant bootstrap: tenant `local` neither found nor provisioned');
  const principal: Principal = { tenant_id: tenantId, user_id: null, tenant_role: 'tenant_admin', actor: 'single-tenant' };
  // `default` resolves like any project slug: also after the project was renamed (its former slugs stay its own)
  const resolve = async () => {
    const found = await client.request<{ project_id: string }>(patterns.projectResolveSlug, {
      principal,
      meta,
      input: { slug: 'default' },
    });
    if (found.ok) return found.value.project_id;
    if (found.error.code !== 'not_found') unwrap(found);
    return undefined;
  };
  let projectId = await resolve();
  if (!projectId) {
    const made = await client.request<{ id: string }>(patterns.projectCreate, {
      principal,
      meta,
      input: { name: 'Default', slug: 'default' },
    });
    if (made.ok) projectId = made.value.id;
    else if (made.error.code === 'slug.taken') projectId = await resolve();
    else unwrap(made);
  }
  if (!projectId) throw new Error('single-tenant bootstrap: project `default` neither found nor created');
  log.info({ tenant_id: tenantId, project_id: projectId }, 'single-tenant mode: default tenant and project ready');
  return { tenant_id: tenantId, project_id: projectId, principal };
}
