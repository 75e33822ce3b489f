import type { KeyStore } from './data-keys.ts';

/**
 * KeyStore in memory, for tests: keys vanish with the process, which in production would shred
 * every tenant. Production keeps wrapped keys in Postgres (one row per tenant, first insert wins).
 */
export function createMemoryKeyStore(): KeyStore {
  const keys = new Map<string, Uint8Array>();
  return {
    async get(tenantId) {
      const found = keys.get(tenantId);
      return found ? Uint8Array.from(found) : null;
    },
    async put(tenantId, wrapped) {
      const existing = keys.get(tenantId);
      if (existing) return Uint8Array.from(existing);
      keys.set(tenantId, Uint8Array.from(wrapped));
      return Uint8Array.from(wrapped);
    },
    async delete(tenantId) {
      keys.delete(tenantId);
    },
  };
}
