import type { Projection } from '@mandant/shared/projection';
import { purgingOffboarded } from '@mandant/shared/service';
import { blobProjection, dropTenantBlobs } from './blobs/projection.ts';
import type { DocumentStores } from './content.ts';
import { graphProjection } from './graph/projection.ts';
import { textProjection } from './text/projection.ts';
import { vectorProjection } from './vectors/projection.ts';

export type { DocumentStores } from './content.ts';
export { blobProjection, graphProjection, textProjection, vectorProjection };

export type DocumentProjectionName = 'vectors' | 'text' | 'graph' | 'blobs';

/**
 * The document read side: one projection per store, each run by its own `startProjector`. Each
 * purges a tenant on its tombstone (`tenant.offboarded.v1`): vectors, text and graph drop the
 * tenant, the blob projection drops its bucket and destroys every data key of it.
 */
export function documentProjections(stores: DocumentStores): Record<DocumentProjectionName, Projection> {
  const blobs = blobProjection(stores);
  return {
    vectors: purgingOffboarded(vectorProjection(stores)),
    text: purgingOffboarded(textProjection(stores)),
    graph: purgingOffboarded(graphProjection(stores)),
    blobs: purgingOffboarded(blobs, (_tx, tenantId) => dropTenantBlobs(stores, tenantId)),
  };
}
export { checkConsistency, hasDrift, repairConsistency } from './consistency.ts';
export { readAnalysis } from './content.ts';
