import type { EventEnvelope } from '@mandant/contracts';
import { chunkId } from '@mandant/shared/ids';
import { inParallel, whenAllSettled } from '@mandant/shared/in-parallel';
import type { Projection } from '@mandant/shared/projection';
import type { TextDocument } from '@mandant/shared/stores/text';
import { type DocumentStores, type PageArtefacts, documentTitle, isErased, pageArtefacts, readAnalysis } from '../content.ts';
import { type DocumentAt, documentAt, createDocumentStates } from '../document-state.ts';
import { type EntityNaming, documentStatesAt, entityMerges } from '../entities.ts';

const MERGED = 'entity.merged.v1';
const HANDLED = new Set(['document.processed.v1', 'document.linked.v1', 'document.unlinked.v1', 'document.deleted.v1', MERGED]);
const LINKS = new Set(['document.linked.v1', 'document.unlinked.v1']);
const BATCH = 1_000;

/**
 * Full text: one entry per chunk (id = chunk id) with the document's title, the chunk's entity
 * names and the document's whole link set. State-setting writes, as in the vector projection;
 * `applyBatch` likewise writes each document's state at the end of the page only, with the
 * entries of every document (re)indexed in the page in one upsert.
 *
 * Entity names follow merges (see `entities.ts`): a chunk also carries the survivor's name of a
 * merged-away entity it mentions, and an `entity.merged.v1` indexes again the documents that
 * mention the merged entity, with their state (and the merges) at that position.
 */
export function textProjection(stores: DocumentStores): Projection {
  // each document's state at the end of the last page that named it: a page folds only what came after
  const documentStates = createDocumentStates();
  const { text } = stores;
  const entityLog = entityMerges(stores);

  /** The entries the processing `doc` stands at imply (null: nothing to index); throws when erased. */
  async function entriesOf(
    e: EventEnvelope,
    doc: DocumentAt,
    projectIds: string[],
    naming: EntityNaming,
    page?: PageArtefacts,
  ): Promise<TextDocument[] | null> {
    const processed = doc.processed;
    if (!processed || doc.deleted) return null;
    const tenantId = e.tenant_id;
    const analysis = await readAnalysis(stores, tenantId, processed.analysisKey, page);
    const title = (await documentTitle(stores, tenantId, doc)) ?? analysis.title;
    const names = await naming.namesByChunk(analysis);
    return analysis.chunks.map((c): TextDocument => ({
      id: chunkId(doc.documentId, c.index),
      document_id: doc.documentId,
      title,
      content: c.text,
      project_ids: projectIds,
      document_type: doc.kind ?? analysis.kind,
      entity_names: names.get(c.index) ?? [],
      created_at: doc.createdAt ?? e.occurred_at,
    }));
  }

  /** Clears the documents first (a re-processing may have fewer chunks), then upserts in slices. */
  async function write(tenantId: string, clear: string[], entries: TextDocument[]): Promise<void> {
    if (clear.length + entries.length === 0) return;
    await text.ensureIndex(tenantId);
    for (const documentId of clear) await text.deleteDocument(tenantId, documentId);
    for (let i = 0; i < entries.length; i += BATCH) await text.upsert(tenantId, entries.slice(i, i + BATCH));
  }

  async function index(e: EventEnvelope, doc: DocumentAt, naming: EntityNaming, clear = doc.processedCount > 1): Promise<void> {
    try {
      const entries = await entriesOf(e, doc, doc.projectIds, naming);
      // first processing: nothing to clear
      if (entries) await write(e.tenant_id, clear ? [doc.documentId] : [], entries);
    } catch (err) {
      if (!isErased(err)) throw err;
      await text.deleteDocument(e.tenant_id, doc.documentId);
    }
  }

  return {
    name: 'text',
    version: 1,
    handles: (type) => HANDLED.has(type),
    async apply(tx, e) {
      if (e.type === MERGED) {
        const naming = await entityLog.namingAt(tx, e.tenant_id, e.tenant_seq);
        const touched = await entityLog.touchedBy(tx, [e]);
        // the same chunks as before, with other names: replaced in place, nothing to clear
        for (const doc of await documentStatesAt(tx, e.tenant_id, [...touched], e.tenant_seq)) await index(e, doc, naming, false);
        return;
      }
      const doc = await documentAt(tx, e);
      switch (e.type) {
        case 'document.processed.v1':
          return index(e, doc, await entityLog.namingAt(tx, e.tenant_id, e.tenant_seq));
        case 'document.linked.v1':
        case 'document.unlinked.v1':
          if (doc.processed && !doc.deleted) await text.setDocumentProjects(e.tenant_id, doc.documentId, doc.projectIds);
          return;
        case 'document.deleted.v1':
          return text.deleteDocument(e.tenant_id, doc.documentId);
      }
    },
    async applyBatch(tx, events) {
      const [first, last] = [events[0], events.at(-1)];
      if (first === undefined || last === undefined) return;
      const tenantId = first.tenant_id;
      const deletes: string[] = [];
      const clear: string[] = [];
      const entries: TextDocument[] = [];
      const relinks: DocumentAt[] = [];
      // the merges' names and the documents' states: two reads of the log, side by side
      const [naming, documents] = await whenAllSettled([entityLog.namingAt(tx, tenantId, last.tenant_seq), documentStates.at(tx, events)]);
      // the analyses of every document the page (re)indexes, read ahead
      const page = pageArtefacts(stores, tenantId);
      for (const { steps } of documents) {
        const processing = steps.findLast((s) => s.event.type === 'document.processed.v1');
        if (processing?.doc.processed && !steps.at(-1)?.doc.deleted) page.prefetch([processing.doc.processed.analysisKey]);
      }
      for (const { documentId, steps } of documents) {
        const final = steps.at(-1)?.doc;
        if (!final) continue;
        if (final.deleted) {
          deletes.push(documentId);
          continue;
        }
        const processing = steps.findLast((s) => s.event.type === 'document.processed.v1');
        if (processing) {
          try {
            const mine = await entriesOf(processing.event, processing.doc, final.projectIds, naming, page);
            if (mine) {
              if (processing.doc.processedCount > 1) clear.push(documentId);
              entries.push(...mine);
            }
          } catch (err) {
            if (!isErased(err)) throw err;
            deletes.push(documentId);
          }
        } else if (final.processed && steps.some((s) => LINKS.has(s.event.type))) {
          relinks.push(final);
        }
      }
      // documents the page's merges rename and nothing else in the page re-indexes: their state at the page's end
      const merges = events.filter((e) => e.type === MERGED);
      const written = new Set([...deletes, ...clear, ...entries.map((x) => x.document_id)]);
      const renamed = [...(await entityLog.touchedBy(tx, merges))].filter((d) => !written.has(d));
      for (const doc of await documentStatesAt(tx, tenantId, renamed, last.tenant_seq)) {
        try {
          const mine = await entriesOf(last, doc, doc.projectIds, naming);
          if (mine) entries.push(...mine);
        } catch (err) {
          if (!isErased(err)) throw err;
          deletes.push(doc.documentId);
        }
      }
      // a merge in the page may rename a document only re-linked here: its entries carry the new link set too
      const reindexed = new Set(entries.map((x) => x.document_id));
      const relinked = relinks.filter((d) => !reindexed.has(d.documentId));
      await inParallel([...deletes], (documentId) => text.deleteDocument(tenantId, documentId));
      await write(tenantId, clear, entries);
      // one call for every document relinked
      if (relinked.length > 0)
        await text.setProjectsOfDocuments(
          tenantId,
          relinked.map((doc) => ({ documentId: doc.documentId, projectIds: doc.projectIds })),
        );
    },
    async reset(_tx, tenantId) {
      await text.dropTenant(tenantId);
    },
  };
}
