import { ApiKeyIssued, ApiKeyRevoked, type EventEnvelope, TenantLimitsSet, TenantProvisioned, TenantSettingsChanged } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import type { Projection } from '@mandant/shared/projection';

const TYPES = new Set(['tenant.provisioned.v1', 'tenant.settings_changed.v1', 'api_key.issued.v1', 'api_key.revoked.v1', 'tenant.offboarded.v1', 'tenant.limits_set.v1']);

/**
 * Every relational view row of an offboarded tenant, whichever projection keeps it. The
 * projections of other services do not handle the tombstone themselves; the database drops any
 * row they write later for an offboarded tenant (migration 1700000000100), so purging once here
 * is enough, and a rebuild of any of them stays empty. Tenant slugs stay claimed: never reused.
 */
const OFFBOARDED_PURGE = [
  'conversation_messages_view', 'conversations_view', 'document_links_view', 'document_embeddings_view', 'document_hashes', 'documents_view',
  'members_view', 'user_emails', 'users_view', 'project_slugs', 'projects_view', 'api_keys_view', 'tenants_view',
  'tenant_limits_view', 'rate_buckets', 'tenant_usage',
] as const;

/**
 * tenants_view and api_keys_view: the tenant's directory entry, settings and keys (hashes only).
 * On `tenant.offboarded.v1` it purges every relational view of the tenant: its API keys stop
 * authenticating at once, and it leaves the operator's tenant list.
 */
export const tenantViews: Projection = {
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
      case 'tenant.offboarded.v1': {
        for (const table of OFFBOARDED_PURGE) await tx`delete from ${tx(table)} where tenant_id = ${t}`;
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
