import { DESTROYED, type KeyStore } from './data-keys.ts';
import { type RewrapStore, masterKeyOf } from './rotation.ts';

/** Marks the whole tenant destroyed (offboarded) in the tombstone set. */
const ALL = '*';

/**
 * KeyStore in memory, for tests: keys vanish with the process, which in production would shred
 * every tenant. Production keeps wrapped keys in Postgres (see postgres-key-store.ts).
 */
export function createMemoryKeyStore(): KeyStore & RewrapStore {
  /** tenant → scope → { key id (hex), wrapped } */
  const keys = new Map<string, Map<string, { id: string; wrapped: Uint8Array }>>();
  /** tenant → key id (hex) → scope: a key found by its id without walking the tenant's keys */
  const scopeById = new Map<string, Map<string, string>>();
  const destroyed = new Set<string>();
  const isDestroyed = (tenantId: string, scope: string) => destroyed.has(`${tenantId}/${ALL}`) || destroyed.has(`${tenantId}/${scope}`);
  const scopes = (tenantId: string) => {
    let m = keys.get(tenantId);
    if (!m) keys.set(tenantId, (m = new Map<string, { id: string; wrapped: Uint8Array }>()));
    return m;
  };
  return {
    async current(tenantId, scope) {
      if (isDestroyed(tenantId, scope)) return DESTROYED;
      const found = keys.get(tenantId)?.get(scope);
      return found ? Uint8Array.from(found.wrapped) : null;
    },
    async byId(tenantId, keyId) {
      const scope = scopeById.get(tenantId)?.get(Buffer.from(keyId).toString('hex'));
      const k = scope === undefined ? undefined : keys.get(tenantId)?.get(scope);
      return scope !== undefined && k ? { scope, wrapped: Uint8Array.from(k.wrapped) } : null;
    },
    async put(tenantId, scope, keyId, wrapped) {
      if (isDestroyed(tenantId, scope)) return DESTROYED;
      const m = scopes(tenantId);
      const existing = m.get(scope);
      if (existing) return Uint8Array.from(existing.wrapped);
      const id = Buffer.from(keyId).toString('hex');
      m.set(scope, { id, wrapped: Uint8Array.from(wrapped) });
      let ids = scopeById.get(tenantId);
      if (!ids) scopeById.set(tenantId, (ids = new Map<string, string>()));
      ids.set(id, scope);
      return Uint8Array.from(wrapped);
    },
    async keyTenants() {
      return [...keys].filter(([, m]) => m.size > 0).map(([t]) => t);
    },
    async countByMasterKey(tenantId) {
      const counts: Record<string, number> = {};
      for (const k of keys.get(tenantId)?.values() ?? []) counts[masterKeyOf(k.wrapped)] = (counts[masterKeyOf(k.wrapped)] ?? 0) + 1;
      return counts;
    },
    async rewrapBatch(tenantId, currentId, limit, rewrap) {
      const m = keys.get(tenantId);
      if (!m) return 0;
      const batch = [...m].filter(([, k]) => masterKeyOf(k.wrapped) !== currentId).slice(0, limit);
      // all or nothing, as the transaction in Postgres
      const next = batch.map(
        ([scope, k]) =>
          [scope, { id: k.id, wrapped: rewrap({ scope, keyId: Buffer.from(k.id, 'hex'), wrapped: Uint8Array.from(k.wrapped) }) }] as const,
      );
      for (const [scope, k] of next) m.set(scope, k);
      return next.length;
    },
    async destroy(tenantId, scope) {
      destroyed.add(`${tenantId}/${scope ?? ALL}`);
      if (scope === undefined) {
        keys.delete(tenantId);
        scopeById.delete(tenantId);
      } else {
        const k = keys.get(tenantId)?.get(scope);
        if (k) scopeById.get(tenantId)?.delete(k.id);
        keys.get(tenantId)?.delete(scope);
      }
    },
  };
}
