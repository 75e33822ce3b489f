import { type Sql, withTenant } from '../../db/connect.ts';
import type { KeyStore } from './data-keys.ts';

/** Wrapped data keys in Postgres, one row per tenant under RLS; the first insert wins. */
export function createPostgresKeyStore(sql: Sql): KeyStore {
  const read = async (tenantId: string): Promise<Uint8Array | null> => {
    const [row] = await withTenant(sql, tenantId, (tx) => tx<{ wrapped: Buffer }[]>`select wrapped from tenant_data_keys where tenant_id = ${tenantId}`);
    return row ? new Uint8Array(row.wrapped) : null;
  };
  return {
    get: read,
    async put(tenantId, wrapped) {
      await withTenant(sql, tenantId, (tx) => tx`
        insert into tenant_data_keys (tenant_id, wrapped) values (${tenantId}, ${Buffer.from(wrapped)}) on conflict (tenant_id) do nothing`);
      const stored = await read(tenantId);
      if (!stored) throw new Error(`data key of tenant ${tenantId} vanished while being stored`);
      return stored;
    },
    async delete(tenantId) {
      await withTenant(sql, tenantId, (tx) => tx`delete from tenant_data_keys where tenant_id = ${tenantId}`);
    },
  };
}
