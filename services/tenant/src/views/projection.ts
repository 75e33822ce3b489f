import { ApiKeyIssued, ApiKeyRevoked, type EventEnvelope, TenantProvisioned, TenantSettingsChanged } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db/connect.ts';
import type { Projection } from '@mandant/shared/projection/projector.ts';

const TYPES = new Set(['tenant.provisioned.v1', 'tenant.settings_changed.v1', 'api_key.issued.v1', 'api_key.revoked.v1']);

/** tenants_view and api_keys_view: the tenant's directory entry, settings and keys (hashes only). */
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
    }
  },
  async reset(tx, tenantId) {
    await tx`delete from api_keys_view where tenant_id = ${tenantId}`;
    await tx`delete from tenants_view where tenant_id = ${tenantId}`;
  },
};
