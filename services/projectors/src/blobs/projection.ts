import { documentKeys } from '@mandant/contracts';
import type { Projection } from '@mandant/shared/projection/projector.ts';
import type { DocumentStores } from '../content.ts';
import { documentIdOf } from '../document-state.ts';

/**
 * Removes a deleted document's blobs (raw upload, extracted text, artefacts), so a deletion
 * reaches every store. Deleting what is gone is a no-op, so replays converge. `reset` does
 * nothing: deleted objects cannot come back, and replaying the deletions re-applies them.
 */
export function blobProjection(stores: Pick<DocumentStores, 'blobs'>): Projection {
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
    },
    async reset() {},
  };
}
