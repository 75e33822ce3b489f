import type { EventEnvelope } from '@mandant/contracts';
import { chunkId } from '@mandant/shared/ids.ts';
import type { Projection } from '@mandant/shared/projection/projector.ts';
import type { EmbeddingModel, VectorPoint } from '@mandant/shared/stores/vectors/port.ts';
import { type DocumentStores, entityNamesByChunk, projectOrPurge, readAnalysis, readVectors } from '../content.ts';
import { type DocumentAt, documentAt } from '../document-state.ts';

const HANDLED = new Set(['document.embedded.v1', 'document.linked.v1', 'document.unlinked.v1', 'document.deleted.v1']);
/** points per upsert call: bounds one statement's size for very long documents */
const BATCH = 1_000;

const modelsOf = (doc: DocumentAt): EmbeddingModel[] => [...doc.embeddings.values()].map((e) => ({ id: e.model, dimension: e.dimension }));

/**
 * Chunk vectors, one collection per (tenant, model). Every write sets state from the document as
 * its stream stands at the event, so applying an event twice, or replaying any suffix of the log,
 * converges. The store writes happen outside the checkpoint transaction; that is why they must be
 * idempotent rather than transactional.
 */
export function vectorProjection(stores: DocumentStores): Projection {
  const { vectors } = stores;

  async function purge(tenantId: string, doc: DocumentAt): Promise<void> {
    for (const model of modelsOf(doc)) await vectors.deleteDocument(tenantId, model, doc.documentId);
  }

  async function embed(e: EventEnvelope, doc: DocumentAt): Promise<void> {
    const model = String(e.data.model);
    const embedding = doc.embeddings.get(model);
    if (!embedding || doc.deleted) return;
    const target: EmbeddingModel = { id: embedding.model, dimension: embedding.dimension };
    const tenantId = e.tenant_id;
    await projectOrPurge(async () => {
      const artefact = await readVectors(stores, tenantId, embedding.vectorsKey);
      const analysis = doc.processed ? await readAnalysis(stores, tenantId, doc.processed.analysisKey) : null;
      const names = analysis ? entityNamesByChunk(analysis) : new Map<number, string[]>();
      const points = artefact.vectors.map((vector, i): VectorPoint => {
        const index = analysis?.chunks[i]?.index ?? i;
        return {
          id: chunkId(doc.documentId, index),
          vector,
          payload: {
            tenant_id: tenantId,
            document_id: doc.documentId,
            project_ids: doc.projectIds,
            chunk_index: index,
            document_type: doc.kind ?? 'unknown',
            created_at: doc.createdAt ?? e.occurred_at,
            entity_names: names.get(index) ?? [],
          },
        };
      });
      await vectors.ensureCollection(tenantId, target);
      // A re-embedding with fewer chunks would leave old points behind: clear the document first
      // then (the common case, same or more chunks, replaces in place with no gap for searches).
      if ((await vectors.count(tenantId, target, { documentId: doc.documentId })) > points.length) {
        await vectors.deleteDocument(tenantId, target, doc.documentId);
      }
      for (let i = 0; i < points.length; i += BATCH) await vectors.upsert(tenantId, target, points.slice(i, i + BATCH));
    }, () => purge(tenantId, doc));
  }

  return {
    name: 'vectors',
    version: 1,
    handles: (type) => HANDLED.has(type),
    async apply(tx, e) {
      const doc = await documentAt(tx, e);
      switch (e.type) {
        case 'document.embedded.v1':
          return embed(e, doc);
        case 'document.linked.v1':
        case 'document.unlinked.v1':
          // one call per model collection, never one per point
          for (const model of modelsOf(doc)) await vectors.setDocumentProjects(e.tenant_id, model, doc.documentId, doc.projectIds);
          return;
        case 'document.deleted.v1':
          return purge(e.tenant_id, doc);
      }
    },
    async reset(_tx, tenantId) {
      await vectors.dropTenant(tenantId);
    },
  };
}
