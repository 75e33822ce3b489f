import type { Projection } from '@mandant/shared/projection/projector.ts';
import { blobProjection } from './blobs/projection.ts';
import type { DocumentStores } from './content.ts';
import { graphProjection } from './graph/projection.ts';
import { textProjection } from './text/projection.ts';
import { vectorProjection } from './vectors/projection.ts';

export type { DocumentStores } from './content.ts';
export { blobProjection, graphProjection, textProjection, vectorProjection };

export type DocumentProjectionName = 'vectors' | 'text' | 'graph' | 'blobs';

/** The document read side: one projection per store, each run by its own `startProjector`. */
export function documentProjections(stores: DocumentStores): Record<DocumentProjectionName, Projection> {
  return {
    vectors: vectorProjection(stores),
    text: textProjection(stores),
    graph: graphProjection(stores),
    blobs: blobProjection(stores),
  };
}
