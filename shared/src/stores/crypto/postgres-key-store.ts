import { type Sql, type Tx, withTenant } from '../../db/connect.ts';
import { DESTROYED, type KeyStore } from './data-keys.ts';
import { type RewrapStore, UNNAMED } from './rotation.ts';

/** The tombstone scope that marks every scope of a tenant destroyed (offboarding). */
const ALL = '*';

/**
 * Wrapped data keys in Postgres (`data_keys`, one row per tenant and key id, at most one key per
 * scope; `data_key_tombstones` for destroyed scopes), both under RLS. The first insert wins.
 * Creating and destroying a tenant's keys take one transaction-level advisory lock per tenant,
 * so a key can never be created in a scope while it is being destroyed.
 *
 * Master-key rotation re-wraps rows in place (`wrapped` only; migration 220 grants that update):
 * a batch locks its rows, so a key destroyed meanwhile is either re-wrapped first and then
 * deleted, or already gone and skipped.
 */
export function createPostgresKeyStore(sql: Sql): KeyStore & RewrapStore {
  const lock = (tx: Tx, tenantId: string) => tx`select pg_advisory_xact_lock(hashtextextended(${`mandant/data-keys/${tenantId}`}, 0))`;
  const isDestroyed = async (tx: Tx, tenantId: string, scope: string) =>
    (await tx`select 1 from data_key_tombstones where tenant_id = ${tenantId} and scope in (${scope}, ${ALL})`).length > 0;
  const wrappedOf = async (tx: Tx, tenantId: string, scope: string): Promise<Uint8Array | null> => {
    const [row] = await tx<{ wrapped: Buffer }[]>`select wrapped from data_keys where tenant_id = ${tenantId} and scope = ${scope}`;
    return row ? new Uint8Array(row.wrapped) : null;
  };
  return {
    current: (tenantId, scope) =>
      withTenant(sql, tenantId, async (tx) => {
        const found = await wrappedOf(tx, tenantId, scope);
        if (found) return found;
        return (await isDestroyed(tx, tenantId, scope)) ? DESTROYED : null;
      }),
    byId: (tenantId, keyId) =>
      withTenant(sql, tenantId, async (tx) => {
        const [row] = await tx<{ scope: string; wrapped: Buffer }[]>`
        select scope, wrapped from data_keys where tenant_id = ${tenantId} and key_id = ${Buffer.from(keyId)}`;
        return row ? { scope: row.scope, wrapped: new Uint8Array(row.wrapped) } : null;
      }),
    put: (tenantId, scope, keyId, wrapped) =>
      withTenant(sql, tenantId, async (tx) => {
        await lock(tx, tenantId);
        if (await isDestroyed(tx, tenantId, scope)) return DESTROYED;
        await tx`insert into data_keys (tenant_id, key_id, scope, wrapped) values (${tenantId}, ${Buffer.from(keyId)}, ${scope}, ${Buffer.from(wrapped)})
               on conflict (tenant_id, scope) do nothing`;
        const stored = await wrappedOf(tx, tenantId, scope);
        if (!stored) throw new Error(`data key of tenant ${tenantId} (${scope}) vanished while being stored`);
        return stored;
      }),
    keyTenants: async () => (await sql<{ tenant_id: string }[]>`select tenant_id from mandant_data_key_tenants()`).map((r) => r.tenant_id),
    countByMasterKey: (tenantId) =>
      withTenant(sql, tenantId, async (tx) => {
        const rows = await tx<{ master: string | null; n: string }[]>`
        select mandant_wrapping_master_key(wrapped) as master, count(*)::text as n from data_keys where tenant_id = ${tenantId} group by 1`;
        return Object.fromEntries(rows.map((r) => [r.master ?? UNNAMED, Number(r.n)]));
      }),
    rewrapBatch: (tenantId, currentId, limit, rewrap) =>
      withTenant(sql, tenantId, async (tx) => {
        const rows = await tx<{ key_id: Buffer; scope: string; wrapped: Buffer }[]>`
        select key_id, scope, wrapped from data_keys
         where tenant_id = ${tenantId} and mandant_wrapping_master_key(wrapped) is distinct from ${currentId}
         order by key_id limit ${limit} for update`;
        for (const r of rows) {
          const next = rewrap({ scope: r.scope, keyId: new Uint8Array(r.key_id), wrapped: new Uint8Array(r.wrapped) });
          await tx`update data_keys set wrapped = ${Buffer.from(next)} where tenant_id = ${tenantId} and key_id = ${r.key_id}`;
        }
        return rows.length;
      }),
    destroy: (tenantId, scope) =>
      withTenant(sql, tenantId, async (tx) => {
        await lock(tx, tenantId);
        await tx`insert into data_key_tombstones (tenant_id, scope) values (${tenantId}, ${scope ?? ALL}) on conflict do nothing`;
        if (scope === undefined) await tx`delete from data_keys where tenant_id = ${tenantId}`;
        else await tx`delete from data_keys where tenant_id = ${tenantId} and scope = ${scope}`;
      }),
  };
}
