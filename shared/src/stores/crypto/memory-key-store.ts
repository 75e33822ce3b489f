import { DESTROYED, type KeyStore } from './data-keys.ts';

/** Marks the whole tenant destroyed (offboarded) in the tombstone set. */
const ALL = '*';

/**
 * KeyStore in memory, for tests: keys vanish with the process, which in production would shred
 * every tenant. Production keeps wrapped keys in Postgres (see postgres-key-store.ts).
 */
export function createMemoryKeyStore(): KeyStore {
  /** tenant → scope → { key id (hex), wrapped } */
  const keys = new Map<string, Map<string, { id: string; wrapped: Uint8Array }>>();
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
      const hex = Buffer.from(keyId).toString('hex');
      for (const [scope, k] of keys.get(tenantId) ?? []) if (k.id === hex) return { scope, wrapped: Uint8Array.from(k.wrapped) };
      return null;
    },
    async put(tenantId, scope, keyId, wrapped) {
      if (isDestroyed(tenantId, scope)) return DESTROYED;
      const m = scopes(tenantId);
      const existing = m.get(scope);
      if (existing) return Uint8Array.from(existing.wrapped);
      m.set(scope, { id: Buffer.from(keyId).toString('hex'), wrapped: Uint8Array.from(wrapped) });
      return Uint8Array.from(wrapped);
    },
    async destroy(tenantId, scope) {
      destroyed.add(`${tenantId}/${scope ?? ALL}`);
      if (scope === undefined) keys.delete(tenantId);
      else keys.get(tenantId)?.delete(scope);
    },
  };
}
