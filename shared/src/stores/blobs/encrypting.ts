import { SEALED_OVERHEAD } from '../crypto/data-keys.ts';
import type { Keyring } from '../crypto/data-keys.ts';
import { checkKey } from './port.ts';
import type { BlobStore } from './port.ts';

const encoder = new TextEncoder();

/**
 * Wraps any BlobStore so that only ciphertext under the tenant's data key reaches it; document
 * content and extracted text are stored this way from the start, so erasing a tenant by
 * destroying its key needs no rewrite.
 *
 * - Each object is sealed with its key as associated data: bytes copied or moved to another key
 *   (or tenant) do not open. Renaming an object therefore means re-encrypting it.
 * - `get` throws the keyring's errors: `DataKeyDestroyedError` after crypto-shredding,
 *   `DecryptionFailedError` for altered or foreign bytes.
 * - `list` reports plaintext sizes (stored size minus the fixed overhead of the sealed format).
 * - `dropTenant` removes the objects only; destroying the key is the keyring's `destroy`, since
 *   the same key also seals the tenant's event payloads.
 * - The content type is stored in clear, as object metadata.
 */
export function createEncryptingBlobStore(inner: BlobStore, keyring: Keyring): BlobStore {
  const aad = (key: string): Uint8Array => encoder.encode(`blob/${key}`);
  return {
    async put(tenantId, key, bytes, opts) {
      checkKey(key);
      await inner.put(tenantId, key, await keyring.encrypt(tenantId, bytes, aad(key)), opts);
    },
    async get(tenantId, key) {
      const sealed = await inner.get(tenantId, key);
      return sealed === null ? null : keyring.decrypt(tenantId, sealed, aad(key));
    },
    exists: (tenantId, key) => inner.exists(tenantId, key),
    async list(tenantId, prefix) {
      const entries = await inner.list(tenantId, prefix);
      return entries.map((e) => ({ key: e.key, size: Math.max(0, e.size - SEALED_OVERHEAD) }));
    },
    delete: (tenantId, key) => inner.delete(tenantId, key),
    deletePrefix: (tenantId, prefix) => inner.deletePrefix(tenantId, prefix),
    dropTenant: (tenantId) => inner.dropTenant(tenantId),
  };
}
