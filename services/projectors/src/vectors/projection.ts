import type { EventEnvelope } from '@mandant/contracts';
import { chunkId } from '@mandant/shared/ids.ts';
import type { Projection } from '@mandant/shared/projection/projector.ts';
import type { EmbeddingModel, VectorPoint } from '@mandant/shared/stores/vectors/port.ts';
import { type DocumentStores, entityNamesByChunk, isErased, readAnalysis, readVectors } from '../content.ts';
import { type DocumentAt, documentAt, documentsAt } from '../document-state.ts';

const HANDLED = new Set(['document.embedded.v1', 'document.linked.v1', 'document.unlinked.v1', 'document.deleted.v1']);
const LINKS = new Set(['document.linked.v1', 'document.unlinked.v1']);
/** points per upsert call: bounds one statement's size for very long documents */
const BATCH = 1_000;

const modelsOf = (doc: DocumentAt): EmbeddingModel[] => [...doc.embeddings.values()].map((e) => ({ id: e.model, dimension: e.dimension }));
const modelKey = (m: EmbeddingModel): string => `${m.id}\u0000${m.dimension}`;

/** A document's points of one model, as the embedding event `e` implies them. */
interface Embedding {
  doc: DocumentAt;
  model: EmbeddingModel;
  points: VectorPoint[];
}

/**
 * Chunk vectors, one collection per (tenant, model). Every write sets state from the document as
 * its stream stands at the event, so applying an event twice, or replaying any suffix of the log,
 * converges. The store writes happen outside the checkpoint transaction; that is why they must be
 * idempotent rather than transactional.
 *
 * `applyBatch` writes each document's state at the end of the page only: its points per model
 * re-embedded in the page (with the page's final link set), the link set of its other models, or
 * its purge; the points of the whole page go in one upsert per model. Intermediate states are
 * skipped, which is safe because every write sets state the log implies.
 */
export function vectorProjection(stores: DocumentStores): Projection {
  const { vectors } = stores;

  async function purge(tenantId: string, doc: DocumentAt): Promise<void> {
    for (const model of modelsOf(doc)) await vectors.deleteDocument(tenantId, model, doc.documentId);
  }

  /** Reads the artefacts of the embedding event `e` (null: the event embeds nothing); throws when erased. */
  async function pointsOf(e: EventEnvelope, doc: DocumentAt, projectIds: string[]): Promise<Embedding | null> {
    const embedding = doc.embeddings.get(String(e.data.model));
    if (!embedding || doc.deleted) return null;
    const tenantId = e.tenant_id;
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
          project_ids: projectIds,
          chunk_index: index,
          document_type: doc.kind ?? 'unknown',
          created_at: doc.createdAt ?? e.occurred_at,
          entity_names: names.get(index) ?? [],
        },
      };
    });
    return { doc, model: { id: embedding.model, dimension: embedding.dimension }, points };
  }

  /** Writes embeddings: per model one collection check, per document a clear if it shrank, then the points in slices. */
  async function write(tenantId: string, embeddings: Embedding[]): Promise<void> {
    const byModel = new Map<string, Embedding[]>();
    for (const x of embeddings) byModel.set(modelKey(x.model), [...(byModel.get(modelKey(x.model)) ?? []), x]);
    for (const group of byModel.values()) {
      const [first] = group;
      if (!first) continue;
      await vectors.ensureCollection(tenantId, first.model);
      // A re-embedding with fewer chunks would leave old points behind: clear the document first
      // then (the common case, same or more chunks, replaces in place with no gap for searches).
      for (const { doc, model, points } of group) {
        if ((await vectors.count(tenantId, model, { documentId: doc.documentId })) > points.length) {
          await vectors.deleteDocument(tenantId, model, doc.documentId);
        }
      }
      const points = group.flatMap((x) => x.points);
      for (let i = 0; i < points.length; i += BATCH) await vectors.upsert(tenantId, first.model, points.slice(i, i + BATCH));
    }
  }

  async function embed(e: EventEnvelope, doc: DocumentAt): Promise<void> {
    try {
      const x = await pointsOf(e, doc, doc.projectIds);
      if (x) await write(e.tenant_id, [x]);
    } catch (err) {
      if (!isErased(err)) throw err;
      await purge(e.tenant_id, doc);
    }
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
    async applyBatch(tx, events) {
      const tenantId = events[0]?.tenant_id;
      if (tenantId === undefined) return;
      const purges: DocumentAt[] = [];
      const embeddings: Embedding[] = [];
      const relinks: Array<{ doc: DocumentAt; models: EmbeddingModel[] }> = [];
      for (const { steps } of await documentsAt(tx, events)) {
        const final = steps.at(-1)?.doc;
        if (!final) continue;
        if (final.deleted) {
          purges.push(final);
          continue;
        }
        // the last embedding event per model, in log order
        const lastEmbed = new Map<string, { event: EventEnvelope; doc: DocumentAt }>();
        for (const step of steps) {
          if (step.event.type !== 'document.embedded.v1') continue;
          const model = String(step.event.data.model);
          lastEmbed.delete(model);
          lastEmbed.set(model, step);
        }
        let mine: Embedding[] = [];
        for (const { event, doc } of [...lastEmbed.values()].sort((a, b) => a.event.tenant_seq - b.event.tenant_seq)) {
          try {
            const x = await pointsOf(event, doc, final.projectIds);
            if (x) mine.push(x);
          } catch (err) {
            if (!isErased(err)) throw err;
            // the purge takes every model the document had by then, embeddings earlier in the page included
            purges.push(doc);
            mine = [];
          }
        }
        embeddings.push(...mine);
        if (steps.some((s) => LINKS.has(s.event.type))) {
          const models = modelsOf(final).filter((m) => !lastEmbed.has(m.id));
          if (models.length > 0) relinks.push({ doc: final, models });
        }
      }
      for (const doc of purges) await purge(tenantId, doc);
      await write(tenantId, embeddings);
      for (const { doc, models } of relinks) {
        for (const model of models) await vectors.setDocumentProjects(tenantId, model, doc.documentId, doc.projectIds);
      }
    },
    async reset(_tx, tenantId) {
      await vectors.dropTenant(tenantId);
    },
  };
}
