import { byKey, checkKey, checkPrefix, checkTenantId } from './port.ts';
import type { BlobEntry, BlobStore } from './port.ts';

/**
 * In-memory BlobStore for unit tests of code that stores blobs (and as the inner store of the
 * encrypting store in its tests). Bytes are copied in and out, so a caller mutating its buffer
 * never changes what is stored. Not for production: nothing survives the process.
 */
export function createMemoryBlobStore(): BlobStore {
  const tenants = new Map<string, Map<string, Uint8Array>>();
  // Validates the key or prefix too, before anything is looked up (optional chaining below
  // would otherwise skip validation for a tenant with nothing stored).
  const bucket = (tenantId: string, check: () => unknown): Map<string, Uint8Array> | undefined => {
    const t = checkTenantId(tenantId);
    check();
    return tenants.get(t);
  };

  return {
    async put(tenantId, key, bytes) {
      const t = checkTenantId(tenantId);
      checkKey(key);
      let objects = tenants.get(t);
      if (!objects) tenants.set(t, (objects = new Map<string, Uint8Array>()));
      objects.set(key, Uint8Array.from(bytes));
    },
    async get(tenantId, key) {
      const found = bucket(tenantId, () => checkKey(key))?.get(key);
      return found ? Uint8Array.from(found) : null;
    },
    async exists(tenantId, key) {
      return bucket(tenantId, () => checkKey(key))?.has(key) ?? false;
    },
    async list(tenantId, prefix) {
      const b = bucket(tenantId, () => checkPrefix(prefix, true));
      const out: BlobEntry[] = [];
      for (const [key, bytes] of b ?? []) if (key.startsWith(prefix)) out.push({ key, size: bytes.byteLength });
      return out.sort(byKey);
    },
    async delete(tenantId, key) {
      bucket(tenantId, () => checkKey(key))?.delete(key);
    },
    async deletePrefix(tenantId, prefix) {
      const b = bucket(tenantId, () => checkPrefix(prefix, false));
      for (const key of [...(b?.keys() ?? [])]) if (key.startsWith(prefix)) b?.delete(key);
    },
    async dropTenant(tenantId) {
      tenants.delete(checkTenantId(tenantId));
    },
  };
}
