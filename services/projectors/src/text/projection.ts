import type { EventEnvelope } from '@mandant/contracts';
import { chunkId } from '@mandant/shared/ids.ts';
import type { Projection } from '@mandant/shared/projection/projector.ts';
import type { TextDocument } from '@mandant/shared/stores/text/port.ts';
import { type DocumentStores, documentTitle, entityNamesByChunk, projectOrPurge, readAnalysis } from '../content.ts';
import { type DocumentAt, documentAt } from '../document-state.ts';

const HANDLED = new Set(['document.processed.v1', 'document.linked.v1', 'document.unlinked.v1', 'document.deleted.v1']);
const BATCH = 1_000;

/**
 * Full text: one entry per chunk (id = chunk id) with the document's title, the chunk's entity
 * names and the document's whole link set. State-setting writes, as in the vector projection.
 */
export function textProjection(stores: DocumentStores): Projection {
  const { text } = stores;

  async function index(e: EventEnvelope, doc: DocumentAt): Promise<void> {
    const processed = doc.processed;
    if (!processed || doc.deleted) return;
    const tenantId = e.tenant_id;
    await projectOrPurge(async () => {
      const analysis = await readAnalysis(stores, tenantId, processed.analysisKey);
      const title = (await documentTitle(stores, tenantId, doc)) ?? analysis.title;
      const names = entityNamesByChunk(analysis);
      const entries = analysis.chunks.map((c): TextDocument => ({
        id: chunkId(doc.documentId, c.index),
        document_id: doc.documentId,
        title,
        content: c.text,
        project_ids: doc.projectIds,
        document_type: doc.kind ?? analysis.kind,
        entity_names: names.get(c.index) ?? [],
        created_at: doc.createdAt ?? e.occurred_at,
      }));
      await text.ensureIndex(tenantId);
      // a re-processing may have fewer chunks: clear the old ones first (first processing: nothing to clear)
      if (doc.processedCount > 1) await text.deleteDocument(tenantId, doc.documentId);
      for (let i = 0; i < entries.length; i += BATCH) await text.upsert(tenantId, entries.slice(i, i + BATCH));
    }, () => text.deleteDocument(tenantId, doc.documentId));
  }

  return {
    name: 'text',
    version: 1,
    handles: (type) => HANDLED.has(type),
    async apply(tx, e) {
      const doc = await documentAt(tx, e);
      switch (e.type) {
        case 'document.processed.v1':
          return index(e, doc);
        case 'document.linked.v1':
        case 'document.unlinked.v1':
          if (doc.processed && !doc.deleted) await text.setDocumentProjects(e.tenant_id, doc.documentId, doc.projectIds);
          return;
        case 'document.deleted.v1':
          return text.deleteDocument(e.tenant_id, doc.documentId);
      }
    },
    async reset(_tx, tenantId) {
      await text.dropTenant(tenantId);
    },
  };
}
