import { documentKeys } from '@mandant/contracts';
import type { Projection } from '@mandant/shared/projection';
import { documentScope } from '@mandant/shared/stores/crypto';
import type { DocumentStores } from '../content.ts';
import { documentIdOf } from '../document-state.ts';

/**
 * An offboarded tenant's bucket goes, and every data key of it (the tenant service destroys them
 * right after the tombstone; doing it here again covers a crash in between).
 */
export async function dropTenantBlobs(stores: Pick<DocumentStores, 'blobs' | 'keyring'>, tenantId: string): Promise<void> {
  await stores.blobs.dropTenant(tenantId);
  await stores.keyring.destroy(tenantId);
}

/**
 * Removes a deleted document's blobs (raw upload, extracted text, artefacts), so a deletion
 * reaches every store, and destroys the document's data key (the document service destroys it
 * right after the deletion commits; doing it here again covers a crash in between). Deleting
 * what is gone is a no-op, so replays converge. `reset` does nothing: deleted objects cannot
 * come back, and replaying the deletions re-applies them.
 */
export function blobProjection(stores: Pick<DocumentStores, 'blobs' | 'keyring'>): Projection {
  return {
    name: 'blobs',
    version: 1,
    handles: (type) => type === 'document.deleted.v1',
    async apply(_tx, e) {
      const documentId = documentIdOf(e.stream);
      if (documentId === null) return;
      const prefix = documentKeys.prefix(documentId);
      await stores.blobs.deletePrefix(e.tenant_id, prefix.raw);
      await stores.blobs.deletePrefix(e.tenant_id, prefix.processed);
      await stores.keyring.destroy(e.tenant_id, documentScope(documentId));
    },
    async reset() {},
  };
}
