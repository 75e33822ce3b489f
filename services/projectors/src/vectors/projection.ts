import type { EventEnvelope } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { chunkId } from '@mandant/shared/ids';
import { inParallel, whenAllSettled } from '@mandant/shared/in-parallel';
import type { Projection } from '@mandant/shared/projection';
import type { EmbeddingModel, VectorPoint } from '@mandant/shared/stores/vectors';
import { type DocumentStores, type PageArtefacts, isErased, pageArtefacts, readAnalysis, readVectors } from '../content.ts';
import { type DocumentAt, documentAt, createDocumentStates } from '../document-state.ts';
import { type EntityNaming, documentStatesAt, entityMerges } from '../entities.ts';

const MERGED = 'entity.merged.v1';
const HANDLED = new Set(['document.embedded.v1', 'document.linked.v1', 'document.unlinked.v1', 'document.deleted.v1', MERGED]);
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
 * converges. On Qdrant the store writes happen outside the checkpoint transaction; that is why they
 * must be idempotent rather than transactional (the embedded index writes on the page's own
 * transaction, `inProjectorPage`, and commits with the checkpoint).
 *
 * `applyBatch` writes each document's state at the end of the page only: its points per model
 * re-embedded in the page (with the page's final link set), the link set of its other models, or
 * its purge; the points of the whole page go in one upsert per model. Intermediate states are
 * skipped, which is safe because every write sets state the log implies.
 *
 * Entity names in the payload follow merges (see `entities.ts`): an `entity.merged.v1` writes the
 * points of every model again for the documents that mention the merged entity.
 */
export function vectorProjection(stores: DocumentStores): Projection {
  // each document's state at the end of the last page that named it: a page folds only what came after
  const documentStates = createDocumentStates();
  const { vectors } = stores;
  const entityLog = entityMerges(stores);

  async function purge(tenantId: string, doc: DocumentAt): Promise<void> {
    for (const model of modelsOf(doc)) await vectors.deleteDocument(tenantId, model, doc.documentId);
  }

  /** Reads the artefacts of the embedding event `e` (null: the event embeds nothing); throws when erased. */
  async function pointsOf(
    e: EventEnvelope,
    doc: DocumentAt,
    projectIds: string[],
    naming: EntityNaming,
    model = String(e.data.model),
    page?: PageArtefacts,
  ): Promise<Embedding | null> {
    const embedding = doc.embeddings.get(model);
    if (!embedding || doc.deleted) return null;
    const tenantId = e.tenant_id;
    const artefact = await readVectors(stores, tenantId, embedding.vectorsKey, page);
    const analysis = doc.processed ? await readAnalysis(stores, tenantId, doc.processed.analysisKey, page) : null;
    const names = analysis ? await naming.namesByChunk(analysis) : new Map<number, string[]>();
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
      const counts = await vectors.countByDocument(
        tenantId,
        first.model,
        group.map((x) => x.doc.documentId),
      );
      await inParallel(group, async ({ doc, model, points }) => {
        if ((counts.get(doc.documentId.toLowerCase()) ?? 0) > points.length) await vectors.deleteDocument(tenantId, model, doc.documentId);
      });
      const points = group.flatMap((x) => x.points);
      for (let i = 0; i < points.length; i += BATCH) await vectors.upsert(tenantId, first.model, points.slice(i, i + BATCH));
    }
  }

  /** The points of every model of the documents `merges` rename, as they stand at `position`; purges the erased. */
  async function renamed(
    tx: Tx,
    tenantId: string,
    merges: EventEnvelope[],
    position: EventEnvelope,
    naming: EntityNaming,
    skip: (documentId: string, model: string) => boolean,
  ) {
    const touched = [...(await entityLog.touchedBy(tx, merges))];
    const embeddings: Embedding[] = [];
    const purges: DocumentAt[] = [];
    for (const doc of await documentStatesAt(tx, tenantId, touched, position.tenant_seq)) {
      try {
        for (const model of doc.embeddings.keys()) {
          if (skip(doc.documentId, model)) continue;
          const x = await pointsOf(position, doc, doc.projectIds, naming, model);
          if (x) embeddings.push(x);
        }
      } catch (err) {
        if (!isErased(err)) throw err;
        purges.push(doc);
      }
    }
    return { embeddings, purges };
  }

  async function embed(e: EventEnvelope, doc: DocumentAt, naming: EntityNaming): Promise<void> {
    try {
      const x = await pointsOf(e, doc, doc.projectIds, naming);
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
      if (e.type === MERGED) {
        const { embeddings, purges } = await renamed(
          tx,
          e.tenant_id,
          [e],
          e,
          await entityLog.namingAt(tx, e.tenant_id, e.tenant_seq),
          () => false,
        );
        for (const doc of purges) await purge(e.tenant_id, doc);
        await write(
          e.tenant_id,
          embeddings.filter((x) => !purges.includes(x.doc)),
        );
        return;
      }
      const doc = await documentAt(tx, e);
      switch (e.type) {
        case 'document.embedded.v1':
          return embed(e, doc, await entityLog.namingAt(tx, e.tenant_id, e.tenant_seq));
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
      const [first, last] = [events[0], events.at(-1)];
      if (first === undefined || last === undefined) return;
      const tenantId = first.tenant_id;
      const purges: DocumentAt[] = [];
      const embeddings: Embedding[] = [];
      const relinks: Array<{ doc: DocumentAt; models: EmbeddingModel[] }> = [];
      // the merges' names and the documents' states: two reads of the log, side by side
      const [naming, documents] = await whenAllSettled([entityLog.namingAt(tx, tenantId, last.tenant_seq), documentStates.at(tx, events)]);
      // the artefacts of every embedding the page writes, read ahead
      const page = pageArtefacts(stores, tenantId);
      for (const { steps } of documents)
        for (const { event, doc } of steps) {
          const embedding = event.type === 'document.embedded.v1' ? doc.embeddings.get(String(event.data.model)) : undefined;
          if (!embedding || steps.at(-1)?.doc.deleted) continue;
          page.prefetch([embedding.vectorsKey, ...(doc.processed ? [doc.processed.analysisKey] : [])]);
        }
      for (const { steps } of documents) {
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
            const x = await pointsOf(event, doc, final.projectIds, naming, undefined, page);
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
      // documents the page's merges rename: every model they have that the page did not re-embed, at the page's end
      const merges = events.filter((e) => e.type === MERGED);
      if (merges.length > 0) {
        const purged = new Set(purges.map((d) => d.documentId));
        const done = new Set(embeddings.map((x) => `${x.doc.documentId}\u0000${x.model.id}`));
        const more = await renamed(tx, tenantId, merges, last, naming, (d, m) => purged.has(d) || done.has(`${d}\u0000${m}`));
        purges.push(...more.purges);
        embeddings.push(...more.embeddings.filter((x) => !more.purges.includes(x.doc)));
        // their points now carry the final link set: no relink needed for the models written
        const written = new Set(more.embeddings.map((x) => `${x.doc.documentId}\u0000${x.model.id}`));
        for (const r of relinks) r.models = r.models.filter((m) => !written.has(`${r.doc.documentId}\u0000${m.id}`));
      }
      for (const doc of purges) await purge(tenantId, doc);
      await write(tenantId, embeddings);
      // one call per model for every document relinked in it
      const byModel = new Map<string, { model: EmbeddingModel; documents: Array<{ documentId: string; projectIds: string[] }> }>();
      for (const { doc, models } of relinks)
        for (const model of models) {
          const entry = byModel.get(modelKey(model)) ?? { model, documents: [] };
          entry.documents.push({ documentId: doc.documentId, projectIds: doc.projectIds });
          byModel.set(modelKey(model), entry);
        }
      for (const { model, documents } of byModel.values()) await vectors.setProjectsOfDocuments(tenantId, model, documents);
    },
    async reset(_tx, tenantId) {
      await vectors.dropTenant(tenantId);
    },
  };
}
