import { SEALED_OVERHEAD, TENANT_SCOPE, documentScope } from '../crypto/data-keys.ts';
import type { Keyring } from '../crypto/data-keys.ts';
import { checkKey } from './port.ts';
import type { BlobStore } from './port.ts';

const encoder = new TextEncoder();
const DOCUMENT_KEY = /^(?:raw|processed)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\//;

/**
 * Whose data key seals an object: a document's own (`raw/{id}/…`, `processed/{id}/…`, see
 * `documentKeys`), so deleting the document's key erases its upload and every artefact;
 * anything else (exports) the tenant's.
 */
export function blobScope(key: string): string {
  const m = DOCUMENT_KEY.exec(key);
  return m?.[1] ? documentScope(m[1]) : TENANT_SCOPE;
}

/**
 * Wraps any BlobStore so that only ciphertext reaches it, sealed under the document's data key
 * for a document's objects and under the tenant's otherwise (`blobScope`); erasing a document or
 * a tenant by destroying keys needs no rewrite. Reading finds the key by the id in the sealed
 * header, so objects sealed under the tenant's key before per-document keys still open.
 *
 * - Each object is sealed with its key as associated data: bytes copied or moved to another key
 *   (or tenant) do not open. Renaming an object therefore means re-encrypting it.
 * - `put` throws `DataKeyDestroyedError` for a document whose key was destroyed (deleted).
 * - `get` throws the keyring's errors: `DataKeyDestroyedError` after crypto-shredding,
 *   `DecryptionFailedError` for altered or foreign bytes.
 * - `list` reports plaintext sizes (stored size minus the fixed overhead of the sealed format).
 * - `dropTenant` removes the objects only; destroying keys is the keyring's `destroy`, since the
 *   same keys also seal the event payloads.
 * - The content type is stored in clear, as object metadata.
 */
export function createEncryptingBlobStore(inner: BlobStore, keyring: Keyring): BlobStore {
  const aad = (key: string): Uint8Array => encoder.encode(`blob/${key}`);
  return {
    async put(tenantId, key, bytes, opts) {
      checkKey(key);
      await inner.put(tenantId, key, await keyring.encrypt(tenantId, bytes, aad(key), { scope: blobScope(key) }), opts);
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
