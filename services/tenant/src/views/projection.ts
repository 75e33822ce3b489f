import {
  ApiKeyIssued,
  ApiKeyRevoked,
  type EventEnvelope,
  TenantLimitsSet,
  TenantProvisioned,
  TenantSettingsChanged,
} from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import type { Projection } from '@mandant/shared/projection';
import { purgingOffboarded } from '@mandant/shared/service';

const TYPES = new Set([
  'tenant.provisioned.v1',
  'tenant.settings_changed.v1',
  'api_key.issued.v1',
  'api_key.revoked.v1',
  'tenant.limits_set.v1',
]);

/**
 * tenants_view, api_keys_view and tenant_limits_view: the tenant's directory entry, settings,
 * keys (hashes only) and limits.
 */
const views: Projection = {
  name: 'tenant-views',
  version: 1,
  handles: (type) => TYPES.has(type),
  async apply(tx: Tx, e: EventEnvelope) {
    const t = e.tenant_id;
    switch (e.type) {
      case 'tenant.provisioned.v1': {
        const d = TenantProvisioned.shape.data.parse(e.data);
        await tx`insert into tenants_view (tenant_id, name, slug, settings, created_at, updated_at)
                 values (${t}, ${d.name}, ${d.slug}, ${tx.json(d.settings as never)}, ${e.occurred_at}, ${e.occurred_at})
                 on conflict (tenant_id) do nothing`;
        return;
      }
      case 'tenant.settings_changed.v1': {
        const d = TenantSettingsChanged.shape.data.parse(e.data);
        await tx`update tenants_view set settings = ${tx.json(d.settings as never)}, updated_at = ${e.occurred_at} where tenant_id = ${t}`;
        return;
      }
      case 'api_key.issued.v1': {
        const d = ApiKeyIssued.shape.data.parse(e.data);
        await tx`insert into api_keys_view (tenant_id, key_id, name, user_id, role, prefix, secret_hash, created_at)
                 values (${t}, ${d.key_id}, ${d.name}, ${d.user_id}, ${d.role}, ${d.prefix}, ${d.secret_hash}, ${e.occurred_at})
                 on conflict (tenant_id, key_id) do nothing`;
        return;
      }
      case 'api_key.revoked.v1': {
        const d = ApiKeyRevoked.shape.data.parse(e.data);
        await tx`update api_keys_view set revoked_at = ${e.occurred_at} where tenant_id = ${t} and key_id = ${d.key_id}`;
        return;
      }
      case 'tenant.limits_set.v1': {
        const { limits: l } = TenantLimitsSet.shape.data.parse(e.data);
        await tx`insert into tenant_limits_view (tenant_id, requests_per_second, burst, expensive_requests_per_second, expensive_burst, max_stored_bytes, max_documents, updated_at)
                 values (${t}, ${l.requests_per_second}, ${l.burst}, ${l.expensive_requests_per_second}, ${l.expensive_burst}, ${l.max_stored_bytes}, ${l.max_documents}, ${e.occurred_at})
                 on conflict (tenant_id) do update set requests_per_second = excluded.requests_per_second, burst = excluded.burst,
                   expensive_requests_per_second = excluded.expensive_requests_per_second, expensive_burst = excluded.expensive_burst,
                   max_stored_bytes = excluded.max_stored_bytes, max_documents = excluded.max_documents, updated_at = excluded.updated_at`;
        return;
      }
    }
  },
  async reset(tx, tenantId) {
    await tx`delete from tenant_limits_view where tenant_id = ${tenantId}`;
    await tx`delete from api_keys_view where tenant_id = ${tenantId}`;
    await tx`delete from tenants_view where tenant_id = ${tenantId}`;
  },
};

/**
 * The tenant views, purging the tenant on its tombstone (`tenant.offboarded.v1`): its API keys
 * stop authenticating at once, it leaves the operator's tenant list, and its rate buckets,
 * usage counters and per-minute activity (written by the limits handlers) go too. Every other context's projection
 * purges its own rows on the same tombstone; the database drops any row a lagging or rebuilding
 * projection writes later for an offboarded tenant (migration 1700000000100). Tenant slugs stay
 * claimed: never reused.
 */
export const tenantViews: Projection = purgingOffboarded(views, async (tx, tenantId) => {
  await views.reset(tx, tenantId);
  await tx`delete from rate_buckets where tenant_id = ${tenantId}`;
  await tx`delete from tenant_usage where tenant_id = ${tenantId}`;
  await tx`delete from tenant_activity where tenant_id = ${tenantId}`;
});
