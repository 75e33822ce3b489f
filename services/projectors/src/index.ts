import type { Projection } from '@mandant/shared/projection';
import { purgingOffboarded } from '@mandant/shared/service';
import { DOCUMENT_STORES_LANE } from '@mandant/shared/stores';
import { blobProjection, dropTenantBlobs } from './blobs/projection.ts';
import type { DocumentStores } from './content.ts';
import { graphProjection } from './graph/projection.ts';
import { textProjection } from './text/projection.ts';
import { vectorProjection } from './vectors/projection.ts';

export type { DocumentStores } from './content.ts';
export { blobProjection, graphProjection, textProjection, vectorProjection };

export type DocumentProjectionName = 'vectors' | 'text' | 'graph' | 'blobs';

/**
 * The document read side: one projection per store. Each purges a tenant on its tombstone
 * (`tenant.offboarded.v1`): vectors, text and graph drop the tenant, the blob projection drops its
 * bucket and destroys every data key of it. Each projection's lane is its store's (`lanes`,
 * ReadStores.lanes; default the embedded stores' lane): never the relational views' lane, and a
 * projection writing to an engine of its own runs apart from the others (see startProjectors).
 */
export function documentProjections(
  stores: DocumentStores & { lanes?: Partial<Record<DocumentProjectionName, string>> },
): Record<DocumentProjectionName, Projection> {
  const lane = (name: DocumentProjectionName, projection: Projection): Projection => ({
    ...projection,
    lane: stores.lanes?.[name] ?? DOCUMENT_STORES_LANE,
  });
  return {
    vectors: lane('vectors', purgingOffboarded(vectorProjection(stores))),
    text: lane('text', purgingOffboarded(textProjection(stores))),
    graph: lane('graph', purgingOffboarded(graphProjection(stores))),
    blobs: lane(
      'blobs',
      purgingOffboarded(blobProjection(stores), (_tx, tenantId) => dropTenantBlobs(stores, tenantId)),
    ),
  };
}
export { checkConsistency, hasDrift, repairConsistency } from './consistency.ts';
export { readAnalysis } from './content.ts';
