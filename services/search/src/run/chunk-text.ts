import type { DocumentAnalysis } from '@mandant/contracts';
import { readDocument } from '@mandant/documents';
import type { EventStore } from '@mandant/shared/eventstore';
import type { Logger } from '@mandant/shared/log';
import type { ReadStores } from '@mandant/shared/stores';
import { readAnalysis } from '@mandant/projectors';

/**
 * Chunk texts for snippets, read the way the projectors read them: the analysis artefact the
 * document's latest `document.processed.v1` names (the documents context's fold), from the sealed blob store. One instance per
 * request: each document is read at most once however many of its chunks were found.
 */
export interface ChunkTexts {
  /** the chunk's text, or null when the document has none readable (erased, never processed) */
  get(documentId: string, chunkIndex: number): Promise<string | null>;
}

export function chunkTexts(deps: { store: EventStore; stores: ReadStores; log: Logger }, tenantId: string): ChunkTexts {
  const cache = new Map<string, Promise<DocumentAnalysis | null>>();

  async function load(documentId: string): Promise<DocumentAnalysis | null> {
    const key = (await readDocument(deps.store, tenantId, documentId)).processed?.analysis_key ?? null;
    if (key === null) return null;
    try {
      return await readAnalysis(deps.stores, tenantId, key);
    } catch (err) {
      // erased content (shredded key, deleted artefact) or a damaged artefact: the hit stays, without text
      deps.log.warn({ err, document_id: documentId }, 'chunk text unreadable: snippet left empty');
      return null;
    }
  }

  return {
    async get(documentId, chunkIndex) {
      const id = documentId.toLowerCase();
      let analysis = cache.get(id);
      if (!analysis) {
        analysis = load(id);
        cache.set(id, analysis);
      }
      return (await analysis)?.chunks.find((c) => c.index === chunkIndex)?.text ?? null;
    },
  };
}
